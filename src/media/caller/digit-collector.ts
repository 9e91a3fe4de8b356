/**
 * Collects the digits of one playAndCollect: from RFC 4733 or SIP INFO alike (push()). It ends on
 * the terminator (not included in the result), on `maxDigits`, on the inter-digit timeout (with
 * what was typed so far) or on the first-digit timeout (''). The first-digit timer starts only
 * when the prompt has finished playing (promptEnded()), so a long prompt does not eat the caller's
 * time; a digit during the prompt calls `onFirstDigit` (which stops the prompt).
 *
 * Digits that arrive while no collection is active are not kept: type-ahead before the question
 * is asked is more often a stray key than an answer.
 */
import type { DigitCollectOptions } from '../media-vocabulary.js';
import { PromptCancelledError } from './errors.js';

export interface CollectHandle {
  readonly result: Promise<string>;
  /** Starts the first-digit timer unless a digit already came. */
  promptEnded(): void;
  /** Ends the collection with `error` (result rejects). */
  cancel(error: Error): void;
}

interface Collection {
  opts: DigitCollectOptions;
  digits: string;
  onFirstDigit: () => void;
  timer: NodeJS.Timeout | undefined;
  resolve: (digits: string) => void;
  reject: (err: Error) => void;
  done: boolean;
}

export class DigitCollector {
  #active: Collection | undefined;
  #closed = false;

  get collecting(): boolean {
    return this.#active !== undefined;
  }

  begin(opts: DigitCollectOptions, onFirstDigit: () => void = () => {}): CollectHandle {
    if (!Number.isInteger(opts.maxDigits) || opts.maxDigits < 1) throw new RangeError('maxDigits must be a positive integer');
    this.#finish(this.#active, new PromptCancelledError('superseded'));
    let c!: Collection;
    const result = new Promise<string>((resolve, reject) => {
      c = { opts, digits: '', onFirstDigit, timer: undefined, resolve, reject, done: false };
    });
    if (this.#closed) {
      c.done = true;
      c.reject(new PromptCancelledError('closed'));
    } else {
      this.#active = c;
    }
    return {
      result,
      promptEnded: () => {
        if (!c.done && c.digits === '' && c.timer === undefined) this.#arm(c, c.opts.firstDigitTimeoutMs);
      },
      cancel: (error) => this.#finish(c, error),
    };
  }

  /** A digit pressed by the caller; returns whether a collection took it. */
  push(digit: string): boolean {
    const c = this.#active;
    if (c === undefined) return false;
    if (c.opts.terminator !== '' && digit === c.opts.terminator) {
      this.#finish(c, c.digits);
      return true;
    }
    const first = c.digits === '';
    c.digits += digit;
    if (first) c.onFirstDigit();
    if (c.done) return true;
    if (c.digits.length >= c.opts.maxDigits) this.#finish(c, c.digits);
    else this.#arm(c, c.opts.interDigitTimeoutMs);
    return true;
  }

  /** Rejects a collection in progress and every later one with PromptCancelledError('closed'). */
  close(): void {
    this.#closed = true;
    this.#finish(this.#active, new PromptCancelledError('closed'));
  }

  #arm(c: Collection, ms: number): void {
    if (c.timer !== undefined) clearTimeout(c.timer);
    c.timer = setTimeout(() => this.#finish(c, c.digits), ms);
  }

  #finish(c: Collection | undefined, outcome: string | Error): void {
    if (c === undefined || c.done) return;
    c.done = true;
    if (c.timer !== undefined) clearTimeout(c.timer);
    c.timer = undefined;
    if (this.#active === c) this.#active = undefined;
    if (typeof outcome === 'string') c.resolve(outcome);
    else c.reject(outcome);
  }
}
