/**
 * Wrap-aware arithmetic for RTP's 16-bit sequence numbers and 32-bit timestamps (RFC 3550), and a
 * tracker that turns 16-bit sequence numbers into monotonic "extended" ones plus the loss counters a
 * receiver report needs (RFC 3550 appendix A.1 and A.3).
 */

/** Signed distance b - a between two 16-bit sequence numbers, in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return (((b - a) & 0xffff) << 16) >> 16;
}

/** True when `a` comes before `b` in wrap-around order. */
export function seqLessThan(a: number, b: number): boolean {
  return seqDiff(a, b) > 0;
}

/** (seq + n) mod 2^16. */
export function seqAdd(seq: number, n: number): number {
  return (seq + n) & 0xffff;
}

/** Signed distance b - a between two 32-bit RTP timestamps, in [-2^31, 2^31 - 1]. */
export function tsDiff(a: number, b: number): number {
  return (b - a) | 0;
}

/** True when timestamp `a` is earlier than `b` in wrap-around order. */
export function tsLessThan(a: number, b: number): boolean {
  return tsDiff(a, b) > 0;
}

/** (ts + n) mod 2^32, as an unsigned number. */
export function tsAdd(ts: number, n: number): number {
  return (ts + n) >>> 0;
}

/** Converts a 16-bit sequence number to the extended value closest to `reference`. */
export function extendSeq(seq: number, reference: number): number {
  return reference + seqDiff(reference & 0xffff, seq);
}

export interface SequenceTrackerOptions {
  /** A jump larger than this (either way) is a restart candidate rather than reordering. */
  maxDropout?: number;
  maxMisorder?: number;
}

/**
 * Follows one SSRC's sequence numbers: extended highest sequence, expected vs received counts, and
 * the per-interval fraction lost for RTCP report blocks. A jump beyond maxDropout/maxMisorder is
 * accepted as a restart only when the next packet confirms it (RFC 3550 A.1 "probation" idea), so
 * one stray packet cannot derail the counters.
 */
export class SequenceTracker {
  readonly #maxDropout: number;
  readonly #maxMisorder: number;
  #started = false;
  #baseExt = 0;
  #highestExt = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #badSeq = -1;
  #restarts = 0;

  constructor(options: SequenceTrackerOptions = {}) {
    this.#maxDropout = options.maxDropout ?? 3000;
    this.#maxMisorder = options.maxMisorder ?? 100;
  }

  /**
   * Records one received packet and returns its extended sequence number, or -1 when the packet is
   * a far jump still on probation (not counted).
   */
  update(seq: number): number {
    seq &= 0xffff;
    if (!this.#started) {
      this.#restart(seq);
      return this.#highestExt;
    }
    const delta = seqDiff(this.#highestExt & 0xffff, seq);
    if ((delta >= 0 && delta <= this.#maxDropout) || (delta < 0 && -delta <= this.#maxMisorder)) {
      const ext = this.#highestExt + delta;
      if (delta > 0) this.#highestExt = ext;
      this.#received++;
      this.#badSeq = -1;
      return ext;
    }
    if (seq === this.#badSeq) {
      // Two consecutive packets agree on the new numbering: the sender restarted.
      this.#restarts++;
      this.#restart(seq);
      return this.#highestExt;
    }
    this.#badSeq = (seq + 1) & 0xffff;
    return -1;
  }

  #restart(seq: number): void {
    // Keep extended numbers growing across restarts so that callers can use them as keys.
    const base = this.#started ? this.#highestExt + 0x10000 - (this.#highestExt & 0xffff) : 0;
    this.#started = true;
    this.#baseExt = base + seq;
    this.#highestExt = this.#baseExt;
    this.#received = 1;
    this.#expectedPrior = 0;
    this.#receivedPrior = 0;
    this.#badSeq = -1;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Extended highest sequence number received (the RTCP report block field, as a number). */
  get highestExtended(): number {
    return this.#highestExt;
  }

  /** The 32-bit field for an RTCP report block: cycles << 16 | highest seq. */
  get extendedHighestForReport(): number {
    return this.#highestExt >>> 0;
  }

  get received(): number {
    return this.#received;
  }

  get expected(): number {
    return this.#started ? this.#highestExt - this.#baseExt + 1 : 0;
  }

  /** Cumulative packets lost (may be negative with duplicates, as RFC 3550 allows). */
  get cumulativeLost(): number {
    return this.expected - this.#received;
  }

  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Fraction lost since the previous call, as the 8-bit fixed-point value RTCP carries
   * (lost/expected × 256, 0 when nothing was lost or more arrived than expected).
   */
  takeFractionLost(): number {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    if (expectedInterval <= 0 || lostInterval <= 0) return 0;
    return Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
  }
}
