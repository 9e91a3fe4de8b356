/**
 * Where the built-in conference mapper keeps meeting ↔ PIN. Two implementations behind this one
 * interface, chosen by MAPPER_STORE: an SQLite file (one host) and Redis (several hosts answering
 * the same PIN for the same meeting). Both are given the time by the caller, so expiry is tested
 * with an injected clock, and both keep a PIN unique among the living mappings.
 */

/** A store that cannot answer; the HTTP layer turns it into 503, the PIN prompt into its error prompt. */
export class PinStoreError extends Error {
  readonly metricLabel = 'internal_error';
  readonly httpStatus = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PinStoreError';
  }
}

export interface PinStore {
  /**
   * The meeting's PIN: the living one if there is one (its use time becomes `now`), else
   * `candidate()` is stored for it. A candidate already held by another living meeting is never
   * stored: the store asks for another one.
   */
  pinFor(conference: string, now: number, candidate: () => string): Promise<string>;
  /** The meeting a living PIN belongs to (its use time becomes `now`), or undefined. */
  conferenceFor(pin: string, now: number): Promise<string | undefined>;
  /** Forgets mappings unused since `cutoff`; returns how many (Redis forgets by itself: 0). */
  sweep(cutoff: number): Promise<number>;
  close(): Promise<void>;
}

/** How many candidates a store tries before it gives up: with PINs spread over ≥ 900,000 values a
 * store would have to be nearly full for this to happen, and then an error beats an endless loop. */
export const MAX_CANDIDATES = 50;
