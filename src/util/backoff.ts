/**
 * Exponential backoff with full jitter, capped. Used for every reconnect loop (XMPP control
 * session, drachtio, registration) so a restarted server isn't hit by a synchronized storm.
 */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** Delay before the next attempt; grows with every call until reset(). */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
