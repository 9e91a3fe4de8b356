import { randomBytes } from 'node:crypto';
import type { SipTransport } from '../config/types.js';
import type { Logger } from '../log.js';
import { requestOutsideDialog, transportParam } from './registration-messages.js';
import type { SrfApi } from './srf-types.js';

export interface RegistrationKeepAliveOptions {
  srf: SrfApi;
  /** The registered account: From and To of every probe. */
  aor: string;
  /** The registrar, reached exactly as the REGISTERs reach it. */
  server: { host: string; port: number };
  transport: SipTransport;
  intervalMs: number;
  /** How long a probe may go unanswered, ms (default min(interval, 8 s)). */
  timeoutMs?: number;
  /** Consecutive failed probes that mean the registrar is gone (default 2). */
  failuresAllowed?: number;
  /** The registrar's logger: probes are part of its work. */
  logger: Logger;
  /** Called once per run when the registrar stopped answering; probing has stopped by then. */
  onLost: (detail: string) => void;
}

/** What one probe found out. */
type ProbeResult = { alive: true; status: number } | { alive: false; why: string };

/**
 * Probes the registrar with out-of-dialog OPTIONS while the account is registered, so a registrar
 * that vanished is noticed within a few intervals rather than at the next refresh (up to half the
 * expiry later). It also keeps NAT bindings toward the registrar open. Any final response proves
 * the server alive: an OPTIONS it does not support still got an answer.
 */
export class RegistrationKeepAlive {
  readonly #o: RegistrationKeepAliveOptions;
  readonly #log: Logger;
  readonly #callId = `${randomBytes(12).toString('hex')}@jitsi-sip-gateway`;
  readonly #timeoutMs: number;
  #cseq = 1;
  #failures = 0;
  #running = false;
  /** Bumped on stop() so a probe that was in flight is ignored when it settles. */
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #inflight = new AbortController();

  constructor(opts: RegistrationKeepAliveOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.#timeoutMs = opts.timeoutMs ?? Math.min(opts.intervalMs, 8000);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts probing, the first probe one interval from now (the registration just succeeded). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#failures = 0;
    this.#schedule(this.#o.intervalMs);
  }

  /** Stops probing; a probe in flight is abandoned and no timer is left behind. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inflight.abort();
    this.#inflight = new AbortController();
  }

  #schedule(delayMs: number): void {
    const gen = this.#generation;
    this.#timer = setTimeout(() => void this.#tick(gen), Math.max(0, delayMs));
  }

  async #tick(gen: number): Promise<void> {
    const startedAt = Date.now();
    const result = await this.#probe();
    if (gen !== this.#generation || !this.#running) return;
    if (result.alive) {
      if (this.#failures > 0) this.#log.info({ status: result.status }, 'registrar answers keep-alives again');
      this.#failures = 0;
    } else {
      this.#failures += 1;
      this.#log.warn({ why: result.why, failures: this.#failures }, 'keep-alive failed');
      if (this.#failures >= (this.#o.failuresAllowed ?? 2)) {
        this.stop();
        this.#o.onLost(`registrar not answering keep-alives (${result.why})`);
        return;
      }
    }
    this.#schedule(this.#o.intervalMs - (Date.now() - startedAt));
  }

  async #probe(): Promise<ProbeResult> {
    const o = this.#o;
    const { host, port } = o.server;
    const cseq = this.#cseq++;
    try {
      const { res } = await requestOutsideDialog(
        o.srf,
        `sip:${host}:${port}`,
        {
          method: 'OPTIONS',
          headers: { From: `<${o.aor}>`, To: `<${o.aor}>`, 'call-id': this.#callId, CSeq: `${cseq} OPTIONS` },
          proxy: `sip:${host}:${port}${transportParam(o.transport)}`,
        },
        this.#timeoutMs,
        this.#inflight.signal,
      );
      if (res === undefined) return { alive: false, why: `no answer within ${this.#timeoutMs} ms` };
      // drachtio-server's SIP stack answers 408 itself when nothing came back and 503 when it could
      // not reach the host, so those two say nothing about the registrar being up.
      if (res.status === 408 || res.status === 503) return { alive: false, why: `${res.status} ${res.reason}` };
      return { alive: true, status: res.status };
    } catch (err) {
      return { alive: false, why: `not sent: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
