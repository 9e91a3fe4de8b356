/**
 * A whole gateway on loopback for end-to-end tests: the real Gateway (SIP app, media engine,
 * call layer, brewery, HTTP) against a real Prosody, the fake focus, the drachtio double, a fake
 * conference (bridge + web speakers) and RTP phones.
 */
import { Gateway } from '../../src/app/gateway.js';
import { loadConfig, type GatewayConfig } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log.js';
import { RecentLog } from '../support/recent-log.js';
import { DrachtioDouble, callerDialog, type CapturedRequest, type InjectedRequest } from '../support/drachtio-double/index.js';
import { FakeFocus } from '../support/fake-focus.js';
import { gatewayTestEnv } from './gateway-env.js';
import { offerSession } from './offer-session.js';
import { startConferenceProsody } from '../support/fake-focus/session-fixture.js';
import type { FakeConference, FakeBridgeEndpoint } from '../support/fake-bridge-audio.js';
import type { ProsodyHarness } from '../support/prosody.js';
import type { RtpPhone } from '../support/rtp-phone.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { joinMuc } from '../support/xmpp-client.js';

export class GatewayHarness {
  #sid = 0;
  #rooms = 0;

  private constructor(
    readonly prosody: ProsodyHarness,
    readonly focus: FakeFocus,
    readonly drachtio: DrachtioDouble,
    readonly gateway: Gateway,
    readonly config: GatewayConfig,
    /** The gateway's recent warnings, for failure messages (unused when a logger is given or E2E_LOG is set). */
    readonly recent: RecentLog,
  ) {}

  /**
   * `opts.logger` replaces the silent (or E2E_LOG) logger; `opts.keepPortRange` keeps
   * JIGASI_PORT_MIN/MAX from `env` instead of letting the OS pick media ports.
   */
  static async start(env: Record<string, string> = {}, opts: { logger?: Logger; keepPortRange?: boolean } = {}): Promise<GatewayHarness> {
    const prosody = await startConferenceProsody();
    await prosody.createUser('jigasi', prosody.authDomain, 'jigasi-pw');
    const focus = await FakeFocus.start(prosody);
    const drachtio = await DrachtioDouble.start({ secret: 'e2e-secret' });
    const config = loadConfig({
      env: {
        ...gatewayTestEnv(prosody, focus, { port: drachtio.connectOptions.port, secret: 'e2e-secret' }),
        ...env,
      },
    });
    // Ports chosen by the OS, so parallel test files never collide.
    if (opts.keepPortRange !== true) {
      config.media.portMin = 0;
      config.media.portMax = 0;
    }
    const recent = new RecentLog();
    const logger = opts.logger ?? (process.env['E2E_LOG'] ? createLogger({ level: process.env['E2E_LOG'] }) : recent.logger);
    const gateway = new Gateway(config, logger, () => void gateway.drain());
    await gateway.start();
    await gateway.drachtio.whenConnected(5000);
    await drachtio.waitForRoute('invite');
    return new GatewayHarness(prosody, focus, drachtio, gateway, config, recent);
  }

  /**
   * A gateway that can dial out: a SIP account at 127.0.0.1:5090 (the double answers its
   * REGISTER), and the focus in the brewery so it can send dial requests.
   */
  static async startDialOut(env: Record<string, string> = {}): Promise<GatewayHarness> {
    const h = await GatewayHarness.start({
      JIGASI_SIP_SERVER: '127.0.0.1',
      JIGASI_SIP_PORT: '5090',
      JIGASI_SIP_URI: 'sip:jigasi@127.0.0.1',
      JIGASI_SIP_PASSWORD: 'sip-pw',
      ...env,
    });
    // The registrar: answer the gateway's REGISTER so it stays quiet.
    void h.drachtio.waitForRequest('REGISTER', 10_000).then((r) => h.drachtio.respond(r, 200, { headers: { Expires: '600' } }));
    await joinMuc(h.focus.client, `jigasibrewery@${h.prosody.internalMucDomain}`, 'focus');
    await until(() => h.gateway.brewery.state === 'joined', 5000, 'brewery joined');
    return h;
  }

  async newRoom(): Promise<string> {
    const room = `e2e${++this.#rooms}-${process.pid}@${this.prosody.mucDomain}`;
    await this.focus.hostRoom(room);
    return room;
  }

  /**
   * A phone's INVITE for `room` (none: let the gateway route it); resolves when it rings.
   * `extra.from` replaces the From built from `name`, `extra.headers` are added (identity headers);
   * `name` stays what the meeting is expected to show.
   */
  async dial(phone: RtpPhone, room: string | undefined, name = 'Alice Phone', extra: { from?: string; headers?: Record<string, string> } = {}): Promise<PhoneCall> {
    const invite = sip.invite({
      from: extra.from ?? `"${name}" <sip:+1555${phone.port}@127.0.0.1>`,
      to: '<sip:4000@127.0.0.1>',
      headers: { ...(room === undefined ? {} : { 'X-Room-Name': room }), ...extra.headers },
      sdp: phone.offer(),
    });
    const req = this.drachtio.injectRequest(invite, { source: { address: '127.0.0.1', port: 5070 }, protocol: 'udp' });
    await req.waitForResponse(180);
    return new PhoneCall(this, phone, invite, req, room ?? '', name);
  }

  /** The gateway occupant of this call: the newest one in its room showing the caller's name. */
  async occupantOf(call: PhoneCall, timeoutMs = 5000): Promise<string> {
    const p = await this.focus.waitFor(
      (s) =>
        s.is('presence') &&
        s.attrs['type'] === undefined &&
        String(s.attrs['from']).startsWith(`${call.room}/`) &&
        s.getChildText('nick', 'http://jabber.org/protocol/nick') === call.name &&
        !this.#claimed.has(String(s.attrs['from'])),
      timeoutMs,
    );
    const jid = String(p.attrs['from']);
    this.#claimed.add(jid);
    return jid;
  }
  readonly #claimed = new Set<string>();

  /** Plays Jicofo: offers the call's occupant a session with the conference endpoint's bridge. */
  async offerConference(call: PhoneCall, conf: FakeConference, endpoint: FakeBridgeEndpoint): Promise<string> {
    const occupant = call.occupant ?? (call.occupant = await this.occupantOf(call));
    await offerSession(this.focus, occupant, conf, endpoint, `e2e-sid-${++this.#sid}`);
    return occupant;
  }

  /** A phone's call into `room`, offered `conf`'s media through a new endpoint, answered. */
  async connectedCall(phone: RtpPhone, room: string, conf: FakeConference, name?: string): Promise<{ call: PhoneCall; endpoint: FakeBridgeEndpoint }> {
    const endpoint = await conf.addEndpoint();
    const call = await this.dial(phone, room, name);
    await this.offerConference(call, conf, endpoint);
    await call.answered();
    return { call, endpoint };
  }

  /** Plays the phone answering the gateway's BYE; resolves with the BYE. */
  async acceptBye(timeoutMs?: number): Promise<CapturedRequest> {
    const bye = await this.drachtio.waitForRequest('BYE', timeoutMs);
    this.drachtio.respond(bye, 200);
    return bye;
  }

  async close(): Promise<void> {
    await this.gateway.stopNow();
    await this.focus.close();
    await this.drachtio.close();
    await this.prosody.dispose();
  }
}

/** The phone side of one call through the double. */
export class PhoneCall {
  ok: sip.SipMessage | undefined;
  /** The call's occupant JID in the room, once known. */
  occupant: string | undefined;

  constructor(
    readonly h: GatewayHarness,
    readonly phone: RtpPhone,
    readonly invite: string,
    readonly req: InjectedRequest,
    public room: string,
    readonly name: string,
  ) {}

  /** Waits for the 200, ACKs it and points the phone's RTP at the gateway's answer. */
  async answered(timeoutMs = 10_000): Promise<string> {
    const ok = await this.req.waitForResponse(200, timeoutMs);
    this.ok = ok;
    this.h.drachtio.injectRequest(sip.ack(this.invite, ok));
    const body = ok.body ?? '';
    const port = /^m=audio (\d+) /m.exec(body)?.[1];
    const addr = /^c=IN IP4 (\S+)/m.exec(body)?.[1];
    if (port === undefined || addr === undefined) throw new Error(`no media in the 200:\n${body}`);
    this.phone.sendTo(addr, Number(port));
    return body;
  }

  /** The caller hangs up. */
  async bye(): Promise<number> {
    if (this.ok === undefined) throw new Error('not answered');
    const r = this.h.drachtio.injectRequest(callerDialog(this.invite, this.ok).bye());
    return (await r.waitForResponse()).status ?? 0;
  }
}
