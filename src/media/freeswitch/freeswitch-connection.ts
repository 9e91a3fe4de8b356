/**
 * Keeps one connection to FreeSWITCH's event socket: probes, connects through drachtio-fsmrf,
 * and after a loss (FreeSWITCH restarted, network) tells its listeners and connects again with
 * backoff. Health and metrics read `state` and `problem`.
 */
import type { Logger } from '../../log.js';
import { Backoff } from '../../util/backoff.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { probeEventSocket, type EslProbeResult } from './esl-probe.js';
import type { FsConnector, FsMediaServer } from './fs-types.js';

export type FreeswitchState = 'connecting' | 'connected' | 'disconnected';

export type FreeswitchConnectionEvents = {
  connected: [ms: FsMediaServer];
  /** The connection is gone; every channel of the old connection is gone with it. */
  disconnected: [reason: string];
};

export interface FreeswitchConnectionOptions {
  host: string;
  port: number;
  secret: string;
  /** SIP profile that must be running before drachtio-fsmrf may connect. */
  profile: string;
  connector: FsConnector;
  /** Longest wait for drachtio-fsmrf to report the media server ready; default 10 s. */
  connectTimeoutMs?: number;
  logger: Logger;
  backoff?: Backoff;
  /** Replaceable in tests. */
  probe?: (host: string, port: number, secret: string, profile: string) => Promise<EslProbeResult>;
}

export class FreeswitchConnection extends TypedEmitter<FreeswitchConnectionEvents> {
  readonly #opts: FreeswitchConnectionOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  #state: FreeswitchState = 'disconnected';
  #ms: FsMediaServer | undefined;
  #problem: string | undefined = 'not connected yet';
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #attempt: Promise<void> | undefined;

  constructor(opts: FreeswitchConnectionOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'freeswitch', freeswitch: `${opts.host}:${opts.port}` });
    this.#backoff = opts.backoff ?? new Backoff(500, 15_000);
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'freeswitch connection listener threw'));
  }

  get state(): FreeswitchState {
    return this.#state;
  }

  /** Why it is not connected (undefined while connected). */
  get problem(): string | undefined {
    return this.#state === 'connected' ? undefined : this.#problem;
  }

  get mediaServer(): FsMediaServer | undefined {
    return this.#ms;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#connect();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#attempt;
    const ms = this.#ms;
    this.#ms = undefined;
    ms?.disconnect();
    this.#state = 'disconnected';
    this.#problem = 'stopped';
  }

  #connect(): void {
    this.#timer = undefined;
    this.#state = 'connecting';
    this.#attempt = this.#tryOnce().finally(() => (this.#attempt = undefined));
  }

  async #tryOnce(): Promise<void> {
    const { host, port, secret, profile } = this.#opts;
    const probe = await (this.#opts.probe ?? probeEventSocket)(host, port, secret, profile);
    if (!this.#running) return;
    if (!probe.ok) {
      this.#retry(probe.message, probe.kind === 'auth' ? 'error' : 'debug');
      return;
    }
    let ms: FsMediaServer;
    try {
      ms = await this.#withTimeout(this.#opts.connector());
    } catch (err) {
      this.#retry(`drachtio-fsmrf could not connect: ${(err as Error).message}`, 'warn');
      return;
    }
    if (!this.#running) {
      ms.disconnect();
      return;
    }
    this.#ms = ms;
    this.#state = 'connected';
    this.#problem = undefined;
    this.#backoff.reset();
    ms.onLost((reason) => this.#lost(ms, reason));
    this.#log.info('connected to FreeSWITCH');
    this.emit('connected', ms);
  }

  /** A connect that never settles must not stall the loop; one that settles late is closed. */
  #withTimeout(attempt: Promise<FsMediaServer>): Promise<FsMediaServer> {
    const ms = this.#opts.connectTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        attempt.then((late) => late.disconnect(), () => undefined);
        reject(new Error(`not ready after ${ms} ms`));
      }, ms);
    });
    return Promise.race([attempt, timeout]).finally(() => clearTimeout(timer));
  }

  #lost(ms: FsMediaServer, reason: string): void {
    if (this.#ms !== ms) return;
    this.#ms = undefined;
    if (!this.#running) return;
    this.#log.warn({ reason }, 'FreeSWITCH connection lost');
    this.emit('disconnected', reason);
    this.#retry(`connection lost: ${reason}`, 'debug');
  }

  #retry(problem: string, level: 'error' | 'warn' | 'debug'): void {
    this.#state = 'disconnected';
    this.#problem = problem;
    const delayMs = this.#backoff.next();
    this.#log[level]({ problem, delayMs }, 'FreeSWITCH not connected; retrying');
    this.#timer = setTimeout(() => this.#connect(), delayMs);
  }
}
