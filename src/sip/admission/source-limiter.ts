/**
 * Per-source token buckets for out-of-dialog INVITE and OPTIONS (SIP_RATE_LIMIT,
 * SIP_RATE_LIMIT_BURST). One bucket per source address, shared by both methods: a source
 * flooding OPTIONS has no budget left for INVITEs either, and the other sources never notice.
 *
 * Memory is bounded: a bucket that has refilled completely says nothing a new bucket would not,
 * so idle sources are forgotten; and the table never holds more than `maxSources` entries (the
 * least recently seen source goes first). A flood from spoofed, ever-changing addresses therefore
 * costs a fixed amount of memory, not one entry per address.
 */

export interface SourceLimiterOptions {
  /** Tokens added per second; 0 turns the limiter off. */
  perSecond: number;
  /** Bucket size: how many requests a quiet source may send at once. */
  burst: number;
  /** Sources exempt from any limit (SIP_TRUSTED_NETWORKS). */
  exempt?: (address: string) => boolean;
  /** Upper bound of the table. */
  maxSources?: number;
  /** Clock in ms; tests pass their own. */
  now?: () => number;
}

export type LimitVerdict =
  | { allowed: true }
  /** `first` is true for the first refusal after the source was last allowed: log that one only. */
  | { allowed: false; retryAfterSeconds: number; first: boolean };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, ms. */
  at: number;
  throttled: boolean;
}

const DEFAULT_MAX_SOURCES = 10_000;
const ALLOWED: LimitVerdict = { allowed: true };

export class SourceLimiter {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #exempt: (address: string) => boolean;
  readonly #max: number;
  readonly #now: () => number;
  /** Insertion order is recency order: take() moves a source to the end. */
  readonly #buckets = new Map<string, Bucket>();
  /** Time for an empty bucket to fill up again; older entries are idle. */
  readonly #idleMs: number;
  #nextSweep = 0;

  constructor(opts: SourceLimiterOptions) {
    this.#perMs = opts.perSecond / 1000;
    this.#burst = Math.max(1, opts.burst);
    this.#exempt = opts.exempt ?? (() => false);
    this.#max = Math.max(1, opts.maxSources ?? DEFAULT_MAX_SOURCES);
    this.#now = opts.now ?? Date.now;
    this.#idleMs = opts.perSecond > 0 ? Math.ceil(this.#burst / this.#perMs) : 0;
  }

  get enabled(): boolean {
    return this.#perMs > 0;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Spends one token of `address`'s bucket, or says how long until there is one. */
  take(address: string): LimitVerdict {
    if (!this.enabled || this.#exempt(address)) return ALLOWED;
    const now = this.#now();
    this.#sweep(now);
    let b = this.#buckets.get(address);
    if (b === undefined) {
      b = { tokens: this.#burst, at: now, throttled: false };
    } else {
      this.#buckets.delete(address);
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
      b.at = now;
    }
    this.#buckets.set(address, b);
    if (this.#buckets.size > this.#max) this.#evictOldest();
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.throttled = false;
      return ALLOWED;
    }
    const first = !b.throttled;
    b.throttled = true;
    // Seconds until the next token, at least 1 (Retry-After is whole seconds).
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / this.#perMs / 1000));
    return { allowed: false, retryAfterSeconds, first };
  }

  /** Forgets the sources whose buckets are full again; they are the oldest ones, so stop at the first fresh one. */
  #sweep(now: number): void {
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + this.#idleMs;
    for (const [address, b] of this.#buckets) {
      if (now - b.at < this.#idleMs) break;
      this.#buckets.delete(address);
    }
  }

  #evictOldest(): void {
    const oldest = this.#buckets.keys().next();
    if (oldest.done !== true) this.#buckets.delete(oldest.value);
  }
}
