import type { SipConfig } from '../../../../src/config/types.js';
import { silentLogger } from '../../../../src/log.js';
import { DrachtioConnection } from '../../../../src/sip/drachtio-connection.js';
import type { AdmissionDecision } from '../../../../src/sip/invite-middleware.js';
import { SipApp, type SipAppOptions } from '../../../../src/sip/sip-app.js';
import type { InboundCallMeta, InboundRoute, InboundSipLeg } from '../../../../src/sip/sip-leg.js';
import { Backoff } from '../../../../src/util/backoff.js';
import { DrachtioDouble } from '../../../support/drachtio-double/index.js';

/** SipConfig as docker-jitsi-meet would give it, with nothing that restricts callers. */
export function sipConfig(overrides: Partial<SipConfig> = {}): SipConfig {
  return {
    uri: undefined,
    password: undefined,
    server: undefined,
    register: true,
    port: 5060,
    transport: 'udp',
    defaultRoom: undefined,
    registerExpires: 600,
    keepAliveMethod: 'options',
    keepAliveIntervalSeconds: 25,
    roomHeaders: ['Jitsi-Conference-Room', 'X-Room-Name'],
    roomPasswordHeader: 'Jitsi-Conference-Room-Pass',
    domainBaseHeaders: ['Jitsi-Conference-Domain-Base', 'X-Domain-Base'],
    tenantHeader: 'Jitsi-Conference-Domain-Tenant',
    trustedNetworks: [],
    inboundUsers: [],
    realm: 'gateway.test',
    // The production defaults (SIP_RATE_LIMIT=20, SIP_RATE_LIMIT_BURST=50).
    rateLimit: { perSecond: 20, burst: 50, action: 'reject' },
    numberMap: {},
    callerNames: {},
    referPolicy: { kind: 'deny' },
    conferenceMapperUrl: undefined,
    outboundPrefix: '',
    ...overrides,
  };
}

export interface OfferedCall {
  leg: InboundSipLeg;
  route: InboundRoute;
  meta: InboundCallMeta;
}

/** A queue of the calls SipApp handed to its port. */
class CallInbox {
  readonly all: OfferedCall[] = [];
  readonly #waiting: Array<(c: OfferedCall) => void> = [];
  #taken = 0;

  push(c: OfferedCall): void {
    this.all.push(c);
    const w = this.#waiting.shift();
    if (w) {
      this.#taken++;
      w(c);
    }
  }

  next(timeoutMs = 5000): Promise<OfferedCall> {
    const ready = this.all[this.#taken];
    if (ready) {
      this.#taken++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no inbound call reached the port')), timeoutMs);
      this.#waiting.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }
}

export interface HarnessOptions {
  sip?: Partial<SipConfig>;
  admission?: () => AdmissionDecision;
  /** Replaces the default port (which only records the call). */
  onInboundCall?: SipAppOptions['onInboundCall'];
  timing?: SipAppOptions['timing'];
  checkOffer?: SipAppOptions['checkOffer'];
  readiness?: SipAppOptions['readiness'];
}

/** A SipApp on a real drachtio-srf, connected through DrachtioConnection to a DrachtioDouble. */
export class SipAppHarness {
  readonly calls = new CallInbox();
  readonly responses: number[] = [];
  /** `method/action` of every request the per-source limit refused or dropped. */
  readonly throttled: string[] = [];

  private constructor(
    readonly double: DrachtioDouble,
    readonly connection: DrachtioConnection,
    readonly app: SipApp,
  ) {}

  static async start(opts: HarnessOptions = {}): Promise<SipAppHarness> {
    const double = await DrachtioDouble.start();
    const connection = new DrachtioConnection({
      ...double.connectOptions,
      logger: silentLogger(),
      backoff: new Backoff(20, 100),
    });
    let harness: SipAppHarness | undefined;
    const app = new SipApp({
      connection,
      config: sipConfig(opts.sip),
      layout: { domain: 'meet.jitsi', mucDomain: 'muc.meet.jitsi' },
      admission: opts.admission ?? (() => ({ refused: false })),
      onInboundCall:
        opts.onInboundCall ??
        ((leg, route, meta) => {
          harness?.calls.push({ leg, route, meta });
        }),
      metrics: { response: (status) => harness?.responses.push(status), throttled: (m, a) => harness?.throttled.push(`${m}/${a}`) },
      logger: silentLogger(),
      ...(opts.timing ? { timing: opts.timing } : {}),
      ...(opts.checkOffer ? { checkOffer: opts.checkOffer } : {}),
      ...(opts.readiness ? { readiness: opts.readiness } : {}),
    });
    harness = new SipAppHarness(double, connection, app);
    app.start();
    connection.start();
    await connection.whenConnected(5000);
    await double.waitForRoute('invite');
    await double.waitForRoute('options');
    return harness;
  }

  async close(): Promise<void> {
    await this.app.stop();
    await this.connection.close();
    await this.double.close();
  }
}

/**
 * Closes a harness whose app may hold a registration: the un-REGISTER that stop() sends is
 * answered, so teardown does not wait for its timeout.
 */
export async function closeRegistered(h: SipAppHarness | undefined): Promise<void> {
  const r = h?.app.registrar;
  if (h && r && (r.state === 'registered' || r.expiresAt !== undefined)) {
    const answering = h.double.waitForRequest('REGISTER', 3000).then(
      (req) => h.double.respond(req, 200),
      () => undefined,
    );
    await h.app.stop();
    await answering;
  }
  await h?.close();
}
