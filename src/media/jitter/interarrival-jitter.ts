/**
 * RFC 3550 §6.4.1 interarrival jitter: the mean deviation of the difference in packet spacing at
 * the receiver compared with the sender, J += (|D| - J) / 16, in RTP timestamp units (the value a
 * report block carries).
 */
import { tsDiff } from '../rtp/sequence.js';

export class InterarrivalJitter {
  readonly #clockRate: number;
  #have = false;
  #lastArrivalMs = 0;
  #lastTs = 0;
  #jitter = 0;

  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** Feeds one packet's RTP timestamp and arrival time (any monotonic ms clock). */
  update(ts: number, arrivalMs: number): void {
    if (this.#have) {
      const d = ((arrivalMs - this.#lastArrivalMs) * this.#clockRate) / 1000 - tsDiff(this.#lastTs, ts);
      const absD = d < 0 ? -d : d;
      // A jump of seconds is a sender restart or a timestamp discontinuity, not jitter.
      if (absD < this.#clockRate * 2) this.#jitter += (absD - this.#jitter) / 16;
    }
    this.#have = true;
    this.#lastArrivalMs = arrivalMs;
    this.#lastTs = ts >>> 0;
  }

  /** Forgets the previous packet (after a resync) but keeps the estimate. */
  restart(): void {
    this.#have = false;
  }

  /** Current estimate in timestamp units. */
  get timestampUnits(): number {
    return this.#jitter;
  }

  get ms(): number {
    return (this.#jitter * 1000) / this.#clockRate;
  }
}
