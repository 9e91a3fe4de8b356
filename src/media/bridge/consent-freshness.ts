/**
 * RFC 7675 consent freshness: a binding request on the selected pair every ~interval (randomised
 * ±20 % so that many calls don't tick in step), and consent lost when no answer came for
 * `timeoutMs`. Lost consent means the bridge is gone (crashed, migrated, NAT binding expired).
 */
export interface ConsentFreshnessOptions {
  intervalMs: number;
  timeoutMs: number;
  /** Sends one consent request; its answer must be reported through `refreshed()`. */
  sendRequest(): void;
  onExpired(): void;
  random?: () => number;
}

export class ConsentFreshness {
  #timer: NodeJS.Timeout | undefined;
  #lastAnswer = 0;
  readonly #random: () => number;

  constructor(private readonly options: ConsentFreshnessOptions) {
    this.#random = options.random ?? Math.random;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts (or restarts) monitoring; the successful ICE check counts as the first answer. */
  start(): void {
    this.stop();
    this.#lastAnswer = performance.now();
    this.#schedule();
  }

  refreshed(): void {
    this.#lastAnswer = performance.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const delay = this.options.intervalMs * (0.8 + 0.4 * this.#random());
    this.#timer = setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    if (performance.now() - this.#lastAnswer >= this.options.timeoutMs) {
      this.#timer = undefined;
      this.options.onExpired();
      return;
    }
    this.options.sendRequest();
    this.#schedule();
  }
}
