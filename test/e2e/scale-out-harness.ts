/**
 * Several gateway instances for one Jitsi deployment, on loopback: one real Prosody with the fake
 * focus, and per instance the real Gateway against its own drachtio double with a real UDP SIP
 * socket in front (UdpSipFront), so a real Kamailio and sipp phones can reach each instance.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gateway } from '../../src/app/gateway.js';
import { loadConfig, type GatewayConfig } from '../../src/config/index.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { DrachtioDouble, UdpSipFront } from '../support/drachtio-double/index.js';
import type { FakeBridgeEndpoint, FakeConference } from '../support/fake-bridge-audio.js';
import { FakeFocus } from '../support/fake-focus.js';
import { startConferenceProsody } from '../support/fake-focus/session-fixture.js';
import type { ProsodyHarness } from '../support/prosody.js';
import type { RtpPhone } from '../support/rtp-phone.js';
import type { CallScenarioOptions } from '../support/sipp-scenario.js';
import { gatewayTestEnv } from './gateway-env.js';
import { offerSession } from './offer-session.js';
import { sippCall, type SippCall } from './real-stack-harness.js';

/** The Jitsi side every instance shares: Prosody (brewery and rooms) and the focus. */
export class SharedJitsi {
  #rooms = 0;
  #sid = 0;
  #calls = 0;

  private constructor(
    readonly prosody: ProsodyHarness,
    readonly focus: FakeFocus,
    readonly dir: string,
  ) {}

  static async start(): Promise<SharedJitsi> {
    const prosody = await startConferenceProsody();
    await prosody.createUser('jigasi', prosody.authDomain, 'jigasi-pw');
    const focus = await FakeFocus.start(prosody);
    return new SharedJitsi(prosody, focus, await mkdtemp(join(tmpdir(), 'scale-out-')));
  }

  async newRoom(): Promise<string> {
    const room = `scale${++this.#rooms}-${process.pid}@${this.prosody.mucDomain}`;
    await this.focus.hostRoom(room);
    return room;
  }

  /** sipp dials `target` (Kamailio or an instance) with `phone` as its media; returns at once. */
  dial(target: string, phone: RtpPhone, o: Omit<CallScenarioOptions, 'sdp'>): Promise<SippCall> {
    return sippCall(target, this.dir, `${++this.#calls}`, phone, o);
  }

  /** Plays Jicofo for the occupant named `name` in `room` (whichever instance it came from). */
  async offerConference(room: string, name: string, conf: FakeConference, endpoint: FakeBridgeEndpoint, timeoutMs = 15_000): Promise<string> {
    const p = await this.focus.waitFor(
      (s) => s.is('presence') && s.attrs['type'] === undefined && String(s.attrs['from']).startsWith(`${room}/`) && s.getChildText('nick', 'http://jabber.org/protocol/nick') === name,
      timeoutMs,
    );
    const occupant = String(p.attrs['from']);
    await offerSession(this.focus, occupant, conf, endpoint, `scale-sid-${++this.#sid}`);
    return occupant;
  }

  async close(): Promise<void> {
    await this.focus.close().catch(() => undefined);
    await this.prosody.dispose();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** One gateway host: its SIP socket (what Kamailio's dispatcher list names), drachtio double and Gateway. */
export class GatewayInstance {
  /** INVITEs this instance answered 503 (full, draining, or no app connected to its drachtio). */
  invitesRefused = 0;
  /** Its SIP port, kept: the address stays what the dispatcher list names after a crash. */
  readonly sipPort: number;
  #stopped = false;

  private constructor(
    readonly name: string,
    readonly front: UdpSipFront,
    readonly double: DrachtioDouble,
    readonly gateway: Gateway,
    readonly config: GatewayConfig,
  ) {
    this.sipPort = front.port;
    front.attach(double, (req, handle) => {
      if (req.method !== 'INVITE') return;
      handle.onResponse((res) => {
        if (res.status === 503) this.invitesRefused++;
      });
    });
  }

  /**
   * `sipPort` reuses an address (a restarted host keeps its place in the dispatcher list). The
   * load balancer's address (127.0.0.1) is trusted, as README asks: every call and probe comes from it.
   */
  static async start(jitsi: SharedJitsi, name: string, opts: { env?: Record<string, string>; sipPort?: number } = {}): Promise<GatewayInstance> {
    const front = await UdpSipFront.bind(opts.sipPort ?? 0);
    const double = await DrachtioDouble.start({ secret: 'scale-secret', sipPort: front.port });
    const config = loadConfig({
      env: {
        ...gatewayTestEnv(jitsi.prosody, jitsi.focus, { port: double.port, secret: 'scale-secret' }),
        SIP_TRUSTED_NETWORKS: '127.0.0.1/32',
        MEDIA_WORKERS: '0',
        ...opts.env,
      },
    });
    config.media.portMin = 0;
    config.media.portMax = 0;
    const logger = process.env['E2E_LOG'] ? createLogger({ level: process.env['E2E_LOG'] }).child({ instance: name }) : silentLogger();
    const gateway = new Gateway(config, logger, () => void gateway.drain());
    await gateway.start();
    await gateway.drachtio.whenConnected(5000);
    await double.waitForRoute('options');
    return new GatewayInstance(name, front, double, gateway, config);
  }

  /** host:port of its SIP socket, as in the dispatcher list. */
  get sipTarget(): string {
    return `127.0.0.1:${this.sipPort}`;
  }

  /** Calls this instance admitted since it started. */
  get callsTaken(): number {
    return this.gateway.registry.stats().totalCalls;
  }

  /** The host dies: its SIP socket goes silent at once, then everything is let go without a word. */
  async crash(): Promise<void> {
    await this.front.close();
    await this.#release();
  }

  async close(): Promise<void> {
    await this.front.close();
    await this.#release();
  }

  async #release(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.gateway.stopNow().catch(() => undefined);
    await this.double.close();
  }
}
