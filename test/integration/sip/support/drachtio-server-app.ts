import type { SipConfig } from '../../../../src/config/types.js';
import { createLogger, silentLogger, type Logger } from '../../../../src/log.js';
import { DrachtioConnection } from '../../../../src/sip/drachtio-connection.js';
import type { LegEndCause } from '../../../../src/sip/errors.js';
import type { AdmissionDecision } from '../../../../src/sip/invite-middleware.js';
import { SipApp, type SipAppOptions } from '../../../../src/sip/sip-app.js';
import { Backoff } from '../../../../src/util/backoff.js';
import { DrachtioServer } from '../../../support/drachtio-server.js';
import { sipConfig, type OfferedCall } from './sip-app-harness.js';

export const GATEWAY_SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 41000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

/** An admitted call and, once the leg ended, why. */
export interface RealCall extends OfferedCall {
  endCause: LegEndCause | undefined;
}

const answerAtOnce = ({ leg }: RealCall): void => void leg.answer(GATEWAY_SDP).catch(() => undefined);

/** E2E_LOG=debug shows the SIP app's log while debugging these tests. */
function testLogger(): Logger {
  const level = process.env['E2E_LOG'];
  return level !== undefined && level !== '' ? createLogger({ level }) : silentLogger();
}

export interface RealGatewayOptions {
  sip?: Partial<SipConfig>;
  timing?: SipAppOptions['timing'];
}

/**
 * A SipApp on a real drachtio-server (DrachtioServer), whose admission and call handling a test
 * can swap between calls; reset() restores the defaults (admit everyone, answer at once).
 */
export class RealDrachtioGateway {
  readonly calls: RealCall[] = [];
  /** Final responses to initial INVITEs, from SipApp's metrics callback. */
  readonly responses: number[] = [];
  admission: () => AdmissionDecision = () => ({ refused: false });
  /** Runs for every admitted call after it was recorded. */
  onCall: (call: RealCall) => void = answerAtOnce;

  private constructor(
    readonly drachtio: DrachtioServer,
    readonly connection: DrachtioConnection,
    readonly app: SipApp,
  ) {}

  static async start(opts: RealGatewayOptions = {}): Promise<RealDrachtioGateway> {
    const drachtio = await DrachtioServer.start('sipp-test-secret');
    const connection = new DrachtioConnection({
      host: '127.0.0.1',
      port: drachtio.adminPort,
      secret: drachtio.secret,
      logger: testLogger(),
      backoff: new Backoff(100, 500),
    });
    let gw: RealDrachtioGateway | undefined;
    const app = new SipApp({
      connection,
      config: sipConfig(opts.sip),
      layout: { domain: 'meet.jitsi', mucDomain: 'muc.meet.jitsi' },
      admission: () => gw?.admission() ?? { refused: false },
      onInboundCall: (leg, route, meta) => {
        if (gw === undefined) return;
        const call: RealCall = { leg, route, meta, endCause: undefined };
        leg.once('ended', (cause) => (call.endCause = cause));
        gw.calls.push(call);
        gw.onCall(call);
      },
      metrics: { response: (s) => gw?.responses.push(s) },
      logger: testLogger(),
      ...(opts.timing !== undefined ? { timing: opts.timing } : {}),
    });
    gw = new RealDrachtioGateway(drachtio, connection, app);
    app.start();
    connection.start();
    try {
      await connection.whenConnected(15_000);
    } catch (err) {
      await gw.stop();
      throw new Error(`drachtio-server did not come up: ${(err as Error).message}\n${drachtio.tail(2000)}`);
    }
    return gw;
  }

  /** Where sipp sends its requests. */
  get target(): string {
    return `127.0.0.1:${this.drachtio.sipPort}`;
  }

  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.admission = () => ({ refused: false });
    this.onCall = answerAtOnce;
  }

  async stop(): Promise<void> {
    await this.app.stop();
    await this.connection.close();
    await this.drachtio.stop();
  }
}
