import { randomBytes } from 'node:crypto';
import type { SipTransport } from '../config/types.js';
import type { Logger } from '../log.js';
import { Backoff } from '../util/backoff.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { DrachtioConnectionEvents, DrachtioConnectionState } from './drachtio-connection.js';
import { RegistrationKeepAlive } from './registration-keepalive.js';
import { cseqNumber, grantedExpiry, requestOutsideDialog, transportParam, uriHost } from './registration-messages.js';
import { userOf } from './sip-headers.js';
import type { SrfApi } from './srf-types.js';

export type RegistrationState = 'unregistered' | 'registering' | 'registered' | 'failed';

/** A REGISTER that did not succeed; `kind` is also the metric label. */
export class RegistrationError extends Error {
  constructor(
    readonly kind: 'timeout' | 'transport' | 'auth' | 'rejected' | 'keepalive',
    /** Final status, when the registrar answered. */
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'RegistrationError';
  }

  get metricLabel(): string {
    return `registration_${this.kind}`;
  }
}

export type RegistrarEvents = {
  state: [state: RegistrationState, detail: string];
  registered: [expiresSeconds: number];
  failed: [err: RegistrationError];
};

/** What the registrar needs of DrachtioConnection: its state and its connect/disconnect events. */
export type RegistrarConnection = Pick<TypedEmitter<DrachtioConnectionEvents>, 'on' | 'off'> & {
  readonly state: DrachtioConnectionState;
};

export interface RegistrarOptions {
  srf: SrfApi;
  connection: RegistrarConnection;
  /** The account, e.g. sip:jigasi@pbx.example.com (JIGASI_SIP_URI): From, To and the REGISTER's domain. */
  aor: string;
  /** Where REGISTERs go (JIGASI_SIP_SERVER:PORT), used as the outbound proxy. */
  server: { host: string; port: number };
  transport: SipTransport;
  /** Digest credentials; the username defaults to the AOR's user. */
  password: string | undefined;
  username?: string;
  /**
   * User part of our Contact, default the account's user. The self-check registers another one,
   * so that its un-REGISTER never removes the binding of a gateway running on the same host.
   */
  contactUser?: string;
  /** Expiry we ask for, seconds (JIGASI_SIP_REGISTER_EXPIRES). */
  expiresSeconds: number;
  logger: Logger;
  /** Delay between failed attempts; default 1 s growing to 60 s, forever. */
  backoff?: Backoff;
  /** How long a REGISTER may go unanswered, ms (default 32 s, SIP's timer F). */
  requestTimeoutMs?: number;
  /** How long stop() waits for the answer to the un-REGISTER, ms (default 2 s). */
  unregisterTimeoutMs?: number;
  /** OPTIONS probes of the registrar while registered; undefined sends none. */
  keepAlive?: { intervalMs: number } | undefined;
}

/**
 * Keeps the gateway's SIP account registered. Refreshes at half the granted expiry; after any
 * failure (timeout, 5xx, auth, lost drachtio connection) it retries with backoff forever and so
 * recovers by itself when the registrar returns (jigasi stopped re-registering after an outage;
 * this must not). Registers again after every drachtio reconnect, and un-registers on stop().
 * While registered, an optional keep-alive probes the registrar; when it stops answering, the
 * registration counts as failed at once and is attempted again.
 */
export class Registrar extends TypedEmitter<RegistrarEvents> {
  readonly #o: RegistrarOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #callId = `${randomBytes(12).toString('hex')}@jitsi-sip-gateway`;
  readonly #user: string;
  #cseq = 1;
  #expires: number;
  #state: RegistrationState = 'unregistered';
  #started = false;
  /** Bumped whenever in-flight work must be forgotten (disconnect, stop, a newer attempt). */
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #expiresAt: number | undefined;
  /** Aborted on stop() so an unanswered REGISTER leaves no timer behind. */
  #inflight = new AbortController();
  readonly #keepAlive: RegistrationKeepAlive | undefined;
  readonly #onConnected = (): void => this.#registerNow('drachtio connected');
  readonly #onDisconnected = (): void => this.#pause();

  constructor(opts: RegistrarOptions) {
    super();
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'registrar', aor: opts.aor });
    this.#backoff = opts.backoff ?? new Backoff(1000, 60_000);
    this.#expires = opts.expiresSeconds;
    const user = userOf(opts.aor);
    if (user === undefined || uriHost(opts.aor) === undefined) throw new Error(`invalid SIP account URI '${opts.aor}'`);
    this.#user = user;
    this.#keepAlive =
      opts.keepAlive === undefined
        ? undefined
        : new RegistrationKeepAlive({
            srf: opts.srf,
            aor: opts.aor,
            server: opts.server,
            transport: opts.transport,
            intervalMs: opts.keepAlive.intervalMs,
            logger: this.#log,
            onLost: (detail) => this.#keepAliveLost(detail),
          });
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'registrar listener threw'));
  }

  get state(): RegistrationState {
    return this.#state;
  }

  /** When the current binding lapses (ms since epoch), while registered. */
  get expiresAt(): number | undefined {
    return this.#expiresAt;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#o.connection.on('connected', this.#onConnected);
    this.#o.connection.on('disconnected', this.#onDisconnected);
    if (this.#o.connection.state === 'connected') this.#registerNow('start');
    else this.#setState('registering', 'waiting for the drachtio connection');
  }

  /** Stops refreshing and removes our binding (Expires: 0) when we had one. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#keepAlive?.stop();
    this.#generation++;
    clearTimeout(this.#timer);
    this.#inflight.abort();
    this.#inflight = new AbortController();
    this.#o.connection.off('connected', this.#onConnected);
    this.#o.connection.off('disconnected', this.#onDisconnected);
    const hadBinding = this.#state === 'registered' || this.#expiresAt !== undefined;
    if (hadBinding && this.#o.connection.state === 'connected') {
      try {
        const res = await this.#send(0, this.#o.unregisterTimeoutMs ?? 2000);
        this.#log.info({ status: res.status }, 'unregistered');
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'un-REGISTER failed; the binding will lapse by itself');
      }
    }
    this.#expiresAt = undefined;
    this.#setState('unregistered', 'stopped');
  }

  #registerNow(why: string): void {
    if (!this.#started) return;
    clearTimeout(this.#timer);
    const gen = ++this.#generation;
    // A refresh keeps the 'registered' state: the binding is still valid while we renew it.
    if (this.#state !== 'registered') this.#setState('registering', why);
    void this.#attempt(gen);
  }

  async #attempt(gen: number): Promise<void> {
    let granted: number;
    try {
      const asked = this.#expires;
      const res = await this.#send(asked, this.#o.requestTimeoutMs ?? 32_000);
      if (gen !== this.#generation) return;
      if (res.status === 423) {
        const min = Number(res.get('Min-Expires') ?? '');
        if (Number.isInteger(min) && min > asked) {
          this.#log.info({ minExpires: min }, 'registrar wants a longer expiry');
          this.#expires = min;
          this.#registerNow('423 Interval Too Brief');
          return;
        }
      }
      if (res.status < 200 || res.status >= 300) throw this.#rejected(res.status, res.reason);
      granted = res.granted;
    } catch (err) {
      if (gen !== this.#generation) return;
      this.#failed(err instanceof RegistrationError ? err : new RegistrationError('transport', undefined, String(err)));
      return;
    }
    this.#backoff.reset();
    this.#expiresAt = Date.now() + granted * 1000;
    this.#setState('registered', `expires in ${granted} s`);
    this.emit('registered', granted);
    // Refresh at half the granted time: room for several retries before the binding lapses.
    const refreshMs = Math.max(500, (granted * 1000) / 2);
    this.#timer = setTimeout(() => this.#registerNow('refresh'), refreshMs);
  }

  #failed(err: RegistrationError): void {
    if (this.#expiresAt !== undefined && Date.now() >= this.#expiresAt) this.#expiresAt = undefined;
    const delayMs = this.#backoff.next();
    this.#log.warn({ err: err.message, kind: err.kind, status: err.status, delayMs }, 'registration failed; retrying');
    this.#setState('failed', err.message);
    this.emit('failed', err);
    this.#timer = setTimeout(() => this.#registerNow('retry'), delayMs);
  }

  /** The registrar stopped answering while we were registered: fail now rather than at the next refresh. */
  #keepAliveLost(detail: string): void {
    if (!this.#started || this.#state !== 'registered') return;
    this.#inflight.abort();
    this.#inflight = new AbortController();
    this.#log.warn({ detail }, 'registrar lost; registering again');
    this.#setState('failed', detail);
    this.emit('failed', new RegistrationError('keepalive', undefined, detail));
    // At once, not after a backoff delay: a registrar that restarted has likely lost our binding.
    this.#registerNow('keep-alive lost');
  }

  #rejected(status: number, reason: string): RegistrationError {
    const kind = status === 401 || status === 407 || status === 403 ? 'auth' : 'rejected';
    return new RegistrationError(kind, status, `registrar answered ${status} ${reason}`);
  }

  /** Lost drachtio: whatever was in flight is gone; register again once reconnected. */
  #pause(): void {
    if (!this.#started) return;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#inflight.abort();
    this.#inflight = new AbortController();
    this.#setState('registering', 'waiting for the drachtio connection');
  }

  async #send(expires: number, timeoutMs: number): Promise<{ status: number; reason: string; granted: number; get(n: string): string | undefined }> {
    const o = this.#o;
    const t = transportParam(o.transport);
    const headers: Record<string, string> = {
      From: `<${o.aor}>`,
      To: `<${o.aor}>`,
      // drachtio-server replaces the host of an `@localhost` Contact with its own SIP address:port.
      Contact: `<sip:${o.contactUser ?? this.#user}@localhost${t}>`,
      Expires: String(expires),
      // Spelled as srf's digest client spells them, so its retry replaces rather than duplicates them.
      'call-id': this.#callId,
      CSeq: `${this.#cseq} REGISTER`,
    };
    const password = o.password;
    let outcome: Awaited<ReturnType<typeof requestOutsideDialog>>;
    try {
      outcome = await requestOutsideDialog(
        o.srf,
        `sip:${uriHost(o.aor) ?? o.server.host}`,
        {
          method: 'REGISTER',
          headers,
          proxy: `sip:${o.server.host}:${o.server.port}${t}`,
          ...(password !== undefined && password !== '' ? { auth: { username: o.username ?? this.#user, password } } : {}),
        },
        timeoutMs,
        this.#inflight.signal,
      );
    } catch (err) {
      throw new RegistrationError('transport', undefined, `REGISTER not sent: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.#cseq += 1;
    }
    const { sent, res } = outcome;
    if (res === undefined) throw new RegistrationError('timeout', undefined, `no answer to REGISTER within ${timeoutMs} ms`);
    // srf re-sends with CSeq+1 to answer a challenge: continue after the last one used.
    const seq = cseqNumber(res);
    if (seq !== undefined && seq >= this.#cseq) this.#cseq = seq + 1;
    return { status: res.status, reason: res.reason, granted: grantedExpiry(res, sent, expires), get: (n) => res.get(n) };
  }

  #setState(state: RegistrationState, detail: string): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state === 'registered') this.#keepAlive?.start();
    else this.#keepAlive?.stop();
    this.#log.info({ state, detail }, 'registration state');
    this.emit('state', state, detail);
  }
}
