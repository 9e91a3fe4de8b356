import Srf from 'drachtio-srf';
import type { Logger } from '../log.js';
import { Backoff } from '../util/backoff.js';
import { TypedEmitter } from '../util/typed-emitter.js';

export type DrachtioConnectionState = 'connecting' | 'connected' | 'disconnected';

/** One SIP transport of drachtio-server, e.g. `udp/10.0.0.5:5060`. */
export interface SipHostport {
  protocol: string;
  address: string;
  port: number;
}

/** What drachtio-server tells an app when it authenticates. */
export interface DrachtioServerInfo {
  /** Public SIP addresses (external IPs when drachtio is configured with them). */
  hostports: SipHostport[];
  /** The addresses drachtio actually binds. */
  localHostports: SipHostport[];
  version: string | undefined;
}

export type DrachtioConnectionEvents = {
  connecting: [attempt: number];
  connected: [info: DrachtioServerInfo];
  disconnected: [reason: string];
  error: [err: DrachtioConnectionError];
};

/** A drachtio connection problem, with the label metrics and health checks use. */
export class DrachtioConnectionError extends Error {
  constructor(
    readonly kind: 'auth' | 'transport',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DrachtioConnectionError';
  }

  get metricLabel(): string {
    return `drachtio_${this.kind}`;
  }
}

export interface DrachtioConnectionOptions {
  host: string;
  port: number;
  secret: string;
  logger: Logger;
  /** Delay between attempts; reset after every successful authentication. */
  backoff?: Backoff;
  /** The Srf to drive (the SIP app registers its handlers on it); a new one by default. */
  srf?: Srf;
  /** How long close() waits for the socket to go; default 2000 ms. */
  closeTimeoutMs?: number;
}

/**
 * drachtio-srf's connection API as it behaves at runtime. Its bundled d.ts declares connect()
 * as returning a Promise (it returns the app), lacks the `reconnect` option and the
 * 'close' event, and types 'connect' with two of its four arguments.
 */
interface SrfConnector {
  connect(opts: { host: string; port: number; secret: string; reconnect: { maxAttempts: number } }): unknown;
  disconnect(): void;
  on(event: 'connect' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
}

/** Parses drachtio's `proto/address:port,…` list (IPv6 addresses come in brackets). */
export function parseHostports(list: unknown): SipHostport[] {
  if (typeof list !== 'string' || list === '') return [];
  const out: SipHostport[] = [];
  for (const item of list.split(',')) {
    const m = /^([a-z]+)\/\[?([^\]]+?)\]?:(\d+)$/i.exec(item.trim());
    if (m?.[1] && m[2] && m[3]) out.push({ protocol: m[1].toLowerCase(), address: m[2], port: Number(m[3]) });
  }
  return out;
}

/**
 * The gateway's single connection to drachtio-server, kept up for the life of the process.
 *
 * srf reconnects by itself, but with a fixed 1.7× growth and no ceiling unless configured, no
 * jitter, and no way to stop a pending retry while disconnected (its disconnect() only works on
 * a live socket). So srf is told never to retry (`reconnect.maxAttempts = 1`) and this class
 * owns the loop: each attempt calls srf.connect() again, which gives srf a fresh socket and
 * re-registers every route the app declared. At most one attempt is alive at a time, so the
 * state below always describes the one socket srf has.
 */
export class DrachtioConnection extends TypedEmitter<DrachtioConnectionEvents> {
  readonly #srf: Srf;
  readonly #connector: SrfConnector;
  readonly #opts: DrachtioConnectionOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  #state: DrachtioConnectionState = 'disconnected';
  #info: DrachtioServerInfo | undefined;
  #started = false;
  #closing = false;
  #closed: Promise<void> | undefined;
  /** srf.connect() was called and its socket has not closed yet. */
  #attemptLive = false;
  #attempt = 0;
  #lastProblem: string | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #onAttemptEnded: (() => void) | undefined;
  readonly #closeWaiters = new Set<() => void>();

  constructor(opts: DrachtioConnectionOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'drachtio', drachtio: `${opts.host}:${opts.port}` });
    this.#backoff = opts.backoff ?? new Backoff(500, 30_000);
    this.#srf = opts.srf ?? new Srf();
    // The one place srf is viewed through the narrowed runtime type (see SrfConnector).
    this.#connector = this.#srf as unknown as SrfConnector;
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'drachtio connection listener threw'));
    this.#connector.on('connect', (...args) => this.#onConnect(args));
    this.#connector.on('close', () => this.#onClose());
    // Without an 'error' listener srf's emit would throw from inside its socket handlers.
    this.#connector.on('error', (err) => this.#onError(err));
  }

  get state(): DrachtioConnectionState {
    return this.#state;
  }

  /** The Srf instance the SIP application registers its handlers on. */
  get srf(): Srf {
    return this.#srf;
  }

  /** Set while connected. */
  get serverInfo(): DrachtioServerInfo | undefined {
    return this.#info;
  }

  /** Starts connecting (and reconnecting after every loss) until close(). */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    this.#connect();
  }

  /**
   * Resolves with the server info once connected (at once if already connected); rejects on
   * timeout (with the last problem seen) or when the connection is closed meanwhile.
   */
  whenConnected(timeoutMs: number): Promise<DrachtioServerInfo> {
    if (this.#state === 'connected' && this.#info) return Promise.resolve(this.#info);
    if (this.#closing) return Promise.reject(new DrachtioConnectionError('transport', 'drachtio connection is closed'));
    return new Promise<DrachtioServerInfo>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.off('connected', onConnected);
        this.#closeWaiters.delete(onClosed);
      };
      const onConnected = (info: DrachtioServerInfo): void => {
        settle();
        resolve(info);
      };
      const onClosed = (): void => {
        settle();
        reject(new DrachtioConnectionError('transport', 'drachtio connection closed before it connected'));
      };
      const timer = setTimeout(() => {
        settle();
        const detail = this.#lastProblem === undefined ? '' : ` (${this.#lastProblem})`;
        reject(new DrachtioConnectionError('transport', `not connected to drachtio-server after ${timeoutMs} ms${detail}`));
      }, timeoutMs);
      this.on('connected', onConnected);
      this.#closeWaiters.add(onClosed);
    });
  }

  /** Stops reconnecting and closes the socket; resolves once srf's socket is gone. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const waiter of [...this.#closeWaiters]) waiter();
    if (this.#attemptLive) {
      const ended = new Promise<void>((resolve) => {
        this.#onAttemptEnded = resolve;
      });
      // Fails while the TCP connect is still in flight; #onConnect drops the socket when it lands.
      this.#dropSocket();
      let timer: NodeJS.Timeout | undefined;
      const timeoutMs = this.#opts.closeTimeoutMs ?? 2000;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      const late = await Promise.race([ended.then(() => false), timedOut]);
      clearTimeout(timer);
      if (late) this.#log.warn({ timeoutMs }, 'drachtio socket still open after close timeout');
    }
    this.#setDisconnected('closed');
    this.#log.info('drachtio connection closed');
  }

  #connect(): void {
    this.#retryTimer = undefined;
    this.#attempt += 1;
    this.#attemptLive = true;
    this.#state = 'connecting';
    this.emit('connecting', this.#attempt);
    this.#log.debug({ attempt: this.#attempt }, 'connecting to drachtio-server');
    try {
      this.#connector.connect({
        host: this.#opts.host,
        port: this.#opts.port,
        secret: this.#opts.secret,
        reconnect: { maxAttempts: 1 },
      });
    } catch (err) {
      // net.connect throws synchronously on an invalid address; handle it like a refused attempt.
      this.#onError(err);
      this.#onClose();
    }
  }

  #onConnect(args: unknown[]): void {
    if (!this.#attemptLive) return;
    const [err, hostports, version, localHostports] = args;
    if (err) {
      const authErr = new DrachtioConnectionError(
        'auth',
        `drachtio-server at ${this.#opts.host}:${this.#opts.port} rejected our secret`,
        { cause: err },
      );
      this.#lastProblem = authErr.message;
      this.#log.error({ err: authErr }, 'drachtio authentication failed');
      this.emit('error', authErr);
      this.#dropSocket();
      return;
    }
    if (this.#closing) {
      this.#dropSocket();
      return;
    }
    this.#backoff.reset();
    this.#attempt = 0;
    this.#lastProblem = undefined;
    this.#info = {
      hostports: parseHostports(hostports),
      localHostports: parseHostports(localHostports),
      version: typeof version === 'string' && version !== '' ? version : undefined,
    };
    this.#state = 'connected';
    this.#log.info({ hostports, version }, 'connected to drachtio-server');
    this.emit('connected', this.#info);
  }

  #onClose(): void {
    if (!this.#attemptLive) return;
    this.#attemptLive = false;
    const wasConnected = this.#state === 'connected';
    const ended = this.#onAttemptEnded;
    this.#onAttemptEnded = undefined;
    if (this.#closing) {
      ended?.();
      return;
    }
    const reason = wasConnected ? 'connection to drachtio-server lost' : (this.#lastProblem ?? 'connection attempt failed');
    this.#setDisconnected(reason);
    const delayMs = this.#backoff.next();
    const log = wasConnected ? this.#log.warn.bind(this.#log) : this.#log.debug.bind(this.#log);
    log({ delayMs, reason }, 'drachtio connection down; retrying');
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  #onError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#lastProblem = message;
    this.#log.debug({ err }, 'drachtio socket error');
  }

  #setDisconnected(reason: string): void {
    this.#info = undefined;
    if (this.#state === 'disconnected') return;
    this.#state = 'disconnected';
    this.emit('disconnected', reason);
  }

  #dropSocket(): void {
    try {
      this.#connector.disconnect();
    } catch (err) {
      // srf asserts when it has no socket yet (TCP connect still pending).
      this.#log.debug({ err }, 'drachtio socket not ready to drop yet');
    }
  }
}
