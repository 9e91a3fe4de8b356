import type { DrachtioConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { DrachtioConnection, type DrachtioServerInfo } from '../sip/drachtio-connection.js';
import { CheckProblem, ok, type CheckOutcome } from './check.js';

/**
 * One connection to drachtio-server, made as the gateway makes it (DrachtioConnection), shared
 * with the registration check. The connection registers no SIP methods, so drachtio-server never
 * hands it a call even while a gateway is running on the same server.
 */
export class DrachtioProbe {
  readonly #connection: DrachtioConnection;
  #connected: Promise<DrachtioServerInfo> | undefined;

  constructor(
    private readonly config: DrachtioConfig,
    logger: Logger,
  ) {
    this.#connection = new DrachtioConnection({ ...config, logger });
  }

  get connection(): DrachtioConnection {
    return this.#connection;
  }

  /** Resolves once authenticated; rejects at the first refusal or failed attempt (no retries). */
  connect(signal: AbortSignal): Promise<DrachtioServerInfo> {
    this.#connected ??= new Promise<DrachtioServerInfo>((resolve, reject) => {
      const c = this.#connection;
      const where = `${this.config.host}:${this.config.port}`;
      const settle = (): void => {
        c.off('connected', onConnected);
        c.off('error', onError);
        c.off('disconnected', onDown);
        signal.removeEventListener('abort', onAbort);
      };
      const onConnected = (info: DrachtioServerInfo): void => {
        settle();
        resolve(info);
      };
      const onError = (err: Error & { kind?: string }): void => {
        if (err.kind !== 'auth') return;
        settle();
        void this.close();
        reject(new CheckProblem(`drachtio-server at ${where} refused the secret`, "DRACHTIO_SECRET must be drachtio-server's secret (its --secret, or <secret> in drachtio.conf.xml)"));
      };
      const onDown = (reason: string): void => {
        settle();
        void this.close();
        reject(
          new CheckProblem(
            `cannot connect to drachtio-server at ${where}: ${reason}`,
            "start drachtio-server, or set DRACHTIO_HOST / DRACHTIO_PORT to its admin address (its --address/--port, 9022 by default)",
          ),
        );
      };
      const onAbort = (): void => {
        settle();
        void this.close();
      };
      c.on('connected', onConnected);
      c.on('error', onError);
      c.on('disconnected', onDown);
      signal.addEventListener('abort', onAbort);
      c.start();
    });
    return this.#connected;
  }

  close(): Promise<void> {
    return this.#connection.close();
  }
}

export async function checkDrachtio(probe: DrachtioProbe, signal: AbortSignal): Promise<CheckOutcome> {
  const info = await probe.connect(signal);
  const sip = info.hostports.map((h) => `${h.protocol}/${h.address}:${h.port}`).join(', ');
  return ok(`drachtio-server ${info.version ?? '(version not given)'} accepts the secret; SIP on ${sip || 'no transport reported'}`);
}

export const DRACHTIO_TIMEOUT_FIX = "drachtio-server did not answer: check DRACHTIO_HOST / DRACHTIO_PORT (its admin port, not the SIP port) and any firewall";
