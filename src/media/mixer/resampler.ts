/**
 * 16 kHz ↔ 8 kHz conversion for rooms that mix narrowband and wideband callers.
 *
 * Both directions use one 47-tap half-band low-pass (Kaiser window, β = 6, cut at 4 kHz): flat
 * within 0.05 dB up to 3.4 kHz, more than 65 dB down from 4.7 kHz. In a half-band filter every
 * other tap is zero except the centre, so the decimator costs 13 multiplies per output sample and
 * the interpolator 12 per output pair; the taps are unrolled into constants because this runs every
 * tick. Both delay the signal by 23 samples at 16 kHz (~1.4 ms). State (the filter history) is per
 * stream.
 *
 * Input and output may be Int16Array or Int32Array: the mixer converts unclamped Int32 partial
 * sums, and only Int16 outputs are clamped.
 */

import { besselI0 } from '../audio/bessel.js';

const HALF_LENGTH = 23; // taps on each side of the centre
const LENGTH = HALF_LENGTH * 2 + 1;

/**
 * Non-zero off-centre taps for offsets 1, 3, ..., 23 from the centre (the centre tap is 0.5),
 * normalised so that the low-pass has exactly unity gain at DC.
 */
export const HALF_BAND_SIDE_TAPS: Float64Array = (() => {
  const beta = 6;
  const taps = new Float64Array((HALF_LENGTH + 1) / 2);
  let sum = 0;
  for (let i = 0; i < taps.length; i++) {
    const n = 2 * i + 1;
    const sinc = Math.sin((Math.PI * n) / 2) / (Math.PI * n);
    const w = besselI0(beta * Math.sqrt(1 - (n / HALF_LENGTH) ** 2)) / besselI0(beta);
    taps[i] = sinc * w;
    sum += 2 * taps[i]!;
  }
  for (let i = 0; i < taps.length; i++) taps[i] = (taps[i]! * 0.5) / sum;
  return taps;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11] = HALF_BAND_SIDE_TAPS as unknown as number[] as [
  number, number, number, number, number, number, number, number, number, number, number, number,
];

type Pcm = Int16Array | Int32Array;

function store(out: Pcm, clamp: boolean, i: number, v: number): void {
  const r = Math.round(v);
  out[i] = clamp ? (r > 32767 ? 32767 : r < -32768 ? -32768 : r) : r;
}

/** Σ tap · (x[c - off] + x[c + off]) over the 12 side taps, around centre index c. */
function sideSum(b: Float64Array, c: number): number {
  return (
    T0 * (b[c - 1]! + b[c + 1]!) +
    T1 * (b[c - 3]! + b[c + 3]!) +
    T2 * (b[c - 5]! + b[c + 5]!) +
    T3 * (b[c - 7]! + b[c + 7]!) +
    T4 * (b[c - 9]! + b[c + 9]!) +
    T5 * (b[c - 11]! + b[c + 11]!) +
    T6 * (b[c - 13]! + b[c + 13]!) +
    T7 * (b[c - 15]! + b[c + 15]!) +
    T8 * (b[c - 17]! + b[c + 17]!) +
    T9 * (b[c - 19]! + b[c + 19]!) +
    T10 * (b[c - 21]! + b[c + 21]!) +
    T11 * (b[c - 23]! + b[c + 23]!)
  );
}

/** Keeps the last `tail` input samples ahead of the new frame in one Float64Array. */
class History {
  buf: Float64Array;
  /** Length of the input loaded by the last filter() and not yet committed. */
  pending = 0;

  constructor(
    readonly tail: number,
    maxInput: number,
  ) {
    this.buf = new Float64Array(tail + maxInput);
  }

  load(input: Pcm): Float64Array {
    const n = input.length;
    const tail = this.tail;
    if (tail + n > this.buf.length) {
      const bigger = new Float64Array(tail + n);
      bigger.set(this.buf.subarray(0, tail));
      this.buf = bigger;
    }
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[tail + i] = input[i]!;
    this.pending = n;
    return buf;
  }

  /** Consumes the loaded frame: its newest `tail` samples become the history of the next one. */
  commit(): void {
    const n = this.pending;
    this.buf.copyWithin(0, n, n + this.tail);
    this.pending = 0;
  }

  reset(): void {
    this.buf.fill(0);
    this.pending = 0;
  }
}

/** 16 kHz → 8 kHz with anti-alias filtering. */
export class Decimator2 {
  readonly #history: History;

  constructor(maxInput = 320) {
    this.#history = new History(LENGTH - 1, maxInput);
  }

  /** Filters and halves `input` (even length) into `out`; returns the output length. */
  process(input: Pcm, out: Pcm): number {
    const n = this.filter(input, out);
    this.#history.commit();
    return n;
  }

  /**
   * Like process() but without consuming `input`: calling it again before commit() recomputes the
   * same frame from the same history (for a frame whose input changed after a first conversion).
   */
  filter(input: Pcm, out: Pcm): number {
    const n = input.length;
    const buf = this.#history.load(input);
    const clamp = out instanceof Int16Array;
    const outN = n >> 1;
    const first = LENGTH - 1 + 1 - HALF_LENGTH; // centre of output 0
    for (let m = 0; m < outN; m++) {
      const c = first + 2 * m;
      store(out, clamp, m, 0.5 * buf[c]! + sideSum(buf, c));
    }
    return outN;
  }

  commit(): void {
    this.#history.commit();
  }

  reset(): void {
    this.#history.reset();
  }
}

/** 8 kHz → 16 kHz: zero-stuffing followed by the same low-pass (images above 4 kHz removed). */
export class Interpolator2 {
  readonly #history: History;

  constructor(maxInput = 160) {
    this.#history = new History(HALF_LENGTH, maxInput);
  }

  /** Doubles the rate of `input` into `out` (2 × input.length samples); returns the output length. */
  process(input: Pcm, out: Pcm): number {
    const n = this.filter(input, out);
    this.#history.commit();
    return n;
  }

  /** Like process() without consuming `input` (see Decimator2.filter). */
  filter(input: Pcm, out: Pcm): number {
    const n = input.length;
    const buf = this.#history.load(input);
    const clamp = out instanceof Int16Array;
    // Output pair m: the phase between input samples is the FIR over the 24 neighbours, centred
    // between input samples newest-12 and newest-11 (gain 2 restores the energy zero-stuffing
    // removed); the phase on an input sample is that sample, since the only non-zero tap of that
    // phase is the centre one. Half-sample centre: the even taps pair up as (c-1-k, c+k).
    for (let m = 0; m < n; m++) {
      const newest = HALF_LENGTH + m;
      const a = newest - 12; // the input sample just before the fractional centre
      const acc =
        T0 * (buf[a]! + buf[a + 1]!) +
        T1 * (buf[a - 1]! + buf[a + 2]!) +
        T2 * (buf[a - 2]! + buf[a + 3]!) +
        T3 * (buf[a - 3]! + buf[a + 4]!) +
        T4 * (buf[a - 4]! + buf[a + 5]!) +
        T5 * (buf[a - 5]! + buf[a + 6]!) +
        T6 * (buf[a - 6]! + buf[a + 7]!) +
        T7 * (buf[a - 7]! + buf[a + 8]!) +
        T8 * (buf[a - 8]! + buf[a + 9]!) +
        T9 * (buf[a - 9]! + buf[a + 10]!) +
        T10 * (buf[a - 10]! + buf[a + 11]!) +
        T11 * (buf[a - 11]! + buf[a + 12]!);
      store(out, clamp, 2 * m, 2 * acc);
      store(out, clamp, 2 * m + 1, buf[newest - 11]!);
    }
    return 2 * n;
  }

  commit(): void {
    this.#history.commit();
  }

  reset(): void {
    this.#history.reset();
  }
}
