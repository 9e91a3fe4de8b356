/**
 * Some phones signal a key press both ways at once, RFC 4733 in the RTP and SIP INFO. Counting
 * both would type every digit twice into a PIN, so the same digit arriving by the other way
 * within a short window is taken as the same press. Two presses of one key by the same way are
 * always kept (RFC 4733 already tells presses apart by timestamp).
 */
export type DigitSource = 'rtp' | 'info';

export const CROSS_SOURCE_WINDOW_MS = 500;

export class DigitSourceMerger {
  readonly #windowMs: number;
  #lastDigit = '';
  #lastSource: DigitSource | undefined;
  #lastMs = -Infinity;

  constructor(windowMs = CROSS_SOURCE_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** Whether this press is new (true) or the other channel's copy of the last one (false). */
  accept(digit: string, source: DigitSource, nowMs: number): boolean {
    const duplicate =
      this.#lastSource !== undefined && source !== this.#lastSource && digit === this.#lastDigit && nowMs - this.#lastMs < this.#windowMs;
    if (duplicate) {
      // Consumed: a third copy (or a genuine second press) by either way counts again.
      this.#lastSource = undefined;
      return false;
    }
    this.#lastDigit = digit;
    this.#lastSource = source;
    this.#lastMs = nowMs;
    return true;
  }
}
