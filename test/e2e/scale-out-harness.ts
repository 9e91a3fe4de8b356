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
import { createLogger } from '../../src/log.js';
import { RecentLog } from '../support/recent-log.js';
import { DrachtioDouble, UdpSipFront } from '../support/drachtio-double/index.js';
import { DrachtioServer } from '../support/drachtio-server.js';
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

/**
 * What a gateway host's SIP side is in these tests: a real drachtio-server (DRACHTIO_BIN), or the
 * drachtio double behind a real UDP socket (UdpSipFront). Either way a real SIP peer reaches it at
 * 127.0.0.1:sipPort and the gateway connects to it on 127.0.0.1:adminPort.
 */
interface SipSide {
  readonly kind: 'drachtio-server' | 'drachtio double';
  readonly sipPort: number;
  readonly adminPort: number;
  readonly secret: string;
  /** Silences SIP at once (the host is gone). */
  silence(): Promise<void>;
  close(): Promise<void>;
}

async function doubleSide(sipPort: number | undefined, relay: boolean): Promise<SipSide & { double: DrachtioDouble }> {
  const front = await UdpSipFront.bind(sipPort ?? 0);
  const double = await DrachtioDouble.start({ secret: 'scale-secret', sipPort: front.port });
  front.attach(double);
  if (relay) front.relay();
  return {
    kind: 'drachtio double',
    double,
    sipPort: front.port,
    adminPort: double.port,
    secret: double.secret,
    silence: () => front.close(),
    close: async () => {
      await front.close();
      await double.close();
    },
  };
}

async function realSide(sipPort: number | undefined): Promise<SipSide> {
  const server = await DrachtioServer.start('scale-secret', sipPort);
  return { kind: 'drachtio-server', sipPort: server.sipPort, adminPort: server.adminPort, secret: server.secret, silence: () => server.stop(), close: () => server.stop() };
}

/** One gateway host: its SIP side (what Kamailio's dispatcher list names) and its Gateway. */
export class GatewayInstance {
  #stopped = false;

  private constructor(
    readonly name: string,
    readonly sip: SipSide,
    /** Present with the double: the tests that inject requests themselves use it. */
    readonly doubleOrUndefined: DrachtioDouble | undefined,
    readonly gateway: Gateway,
    readonly config: GatewayConfig,
    /** Its recent warnings (empty when E2E_LOG sends everything to stdout instead). */
    readonly recent: RecentLog,
  ) {}

  /**
   * `sipPort` reuses an address (a restarted host keeps its place in the dispatcher list);
   * `realDrachtio` puts a real drachtio-server in front (DRACHTIO_BIN); `relayRequests` sends what the
   * gateway sends through the double on to real peers, as drachtio-server would. The load balancer's address
   * (127.0.0.1) is trusted, as README asks: every call and probe comes from it.
   */
  static async start(
    jitsi: SharedJitsi,
    name: string,
    opts: { env?: Record<string, string>; sipPort?: number; realDrachtio?: boolean; relayRequests?: boolean } = {},
  ): Promise<GatewayInstance> {
    const side = opts.realDrachtio === true ? await realSide(opts.sipPort) : await doubleSide(opts.sipPort, opts.relayRequests === true);
    const config = loadConfig({
      env: {
        ...gatewayTestEnv(jitsi.prosody, jitsi.focus, { port: side.adminPort, secret: side.secret }),
        SIP_TRUSTED_NETWORKS: '127.0.0.1/32',
        MEDIA_WORKERS: '0',
        ...opts.env,
      },
    });
    config.media.portMin = 0;
    config.media.portMax = 0;
    const recent = new RecentLog();
    const logger = process.env['E2E_LOG'] ? createLogger({ level: process.env['E2E_LOG'] }).child({ instance: name }) : recent.logger;
    const gateway = new Gateway(config, logger, () => void gateway.drain());
    await gateway.start();
    try {
      await gateway.drachtio.whenConnected(15_000);
      if ('double' in side) await (side as { double: DrachtioDouble }).double.waitForRoute('options');
    } catch (err) {
      await gateway.stopNow().catch(() => undefined);
      await side.close();
      throw err;
    }
    const double = 'double' in side ? (side as { double: DrachtioDouble }).double : undefined;
    return new GatewayInstance(name, side, double, gateway, config, recent);
  }

  /** The drachtio double (tests that inject requests run without DRACHTIO_BIN's server). */
  get double(): DrachtioDouble {
    if (this.doubleOrUndefined === undefined) throw new Error(`${this.name} runs a real drachtio-server`);
    return this.doubleOrUndefined;
  }

  /** Its SIP port: the address stays what the dispatcher list names after a crash. */
  get sipPort(): number {
    return this.sip.sipPort;
  }

  /** host:port of its SIP socket, as in the dispatcher list. */
  get sipTarget(): string {
    return `127.0.0.1:${this.sipPort}`;
  }

  /** Calls this instance admitted since it started. */
  get callsTaken(): number {
    return this.gateway.registry.stats().totalCalls;
  }

  /** INVITEs the gateway refused with 503 (full or draining). */
  async invitesRefused(): Promise<number> {
    const m = await this.gateway.metrics.sipResponsesTotal.get();
    return m.values.filter((v) => v.labels['status'] === '503').reduce((n, v) => n + v.value, 0);
  }

  /** The host dies: its SIP goes silent at once, then everything is let go without a word. */
  async crash(): Promise<void> {
    await this.sip.silence();
    await this.#release();
  }

  async close(): Promise<void> {
    await this.#release();
  }

  async #release(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.gateway.stopNow().catch(() => undefined);
    await this.sip.close();
  }
}
