/**
 * Integer-factor rate conversion between the caller's rate (8 or 16 kHz) and 48 kHz, for
 * processing that only runs at 48 kHz (RNNoise). The half-band resampler of the mixer covers only
 * 8 ↔ 16 kHz; this one does ×3 and ×6.
 *
 * One low-pass prototype per factor, at the high rate: a Kaiser-windowed sinc (β = 5, about 50 dB
 * of stop band) of TAPS_PER_PHASE × factor taps, cut at 48 % of the low rate (3.84 kHz for 8 kHz,
 * 7.68 kHz for 16 kHz), unity gain at DC: a round trip is flat within 0.05 dB up to 3.4 kHz at
 * 8 kHz and 0.4 dB up to 7 kHz at 16 kHz. The upsampler runs it as a polyphase filter
 * (TAPS_PER_PHASE multiplies per output sample), the downsampler only at the output instants. Each
 * direction delays by half the prototype (2 ms at ×6, 1 ms at ×3). State is per stream.
 */

import { besselI0 } from './bessel.js';

const TAPS_PER_PHASE = 32;
const BETA = 5;

/** The prototype low-pass at the high rate, normalised to a DC gain of 1. */
function prototype(factor: number): Float64Array {
  const n = TAPS_PER_PHASE * factor;
  const h = new Float64Array(n);
  const cutoff = 0.48 / factor; // of the high rate
  const centre = (n - 1) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = i - centre;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const w = besselI0(BETA * Math.sqrt(1 - (t / centre) ** 2)) / besselI0(BETA);
    h[i] = sinc * w;
    sum += h[i]!;
  }
  for (let i = 0; i < n; i++) h[i] = h[i]! / sum;
  return h;
}

function checkFactor(factor: number): void {
  if (!Number.isInteger(factor) || factor < 2 || factor > 12) throw new RangeError(`rate factor must be an integer 2-12, got ${factor}`);
}

/** Low rate → high rate (`factor` output samples per input sample), into a Float32 buffer. */
export class Upsampler {
  readonly factor: number;
  /** phases[p][k] = factor · h[p + k·factor]: the gain lost to zero-stuffing is put back. */
  readonly #phases: Float64Array[];
  /** The last TAPS_PER_PHASE input samples, newest last, followed by the frame being converted. */
  #x: Float64Array = new Float64Array(0);

  constructor(factor: number) {
    checkFactor(factor);
    this.factor = factor;
    const h = prototype(factor);
    this.#phases = Array.from({ length: factor }, (_, p) => {
      const taps = new Float64Array(TAPS_PER_PHASE);
      for (let k = 0; k < TAPS_PER_PHASE; k++) taps[k] = factor * h[p + k * factor]!;
      return taps;
    });
  }

  /** Converts `input` into `output` (input.length × factor samples). */
  process(input: Int16Array, output: Float32Array): void {
    const factor = this.factor;
    if (output.length < input.length * factor) throw new RangeError('upsampler output too short');
    const hist = TAPS_PER_PHASE;
    const x = (this.#x = withHistory(this.#x, hist, input));
    const phases = this.#phases;
    let o = 0;
    for (let m = 0; m < input.length; m++) {
      const newest = hist + m;
      for (let p = 0; p < factor; p++) {
        const taps = phases[p]!;
        let acc = 0;
        for (let k = 0; k < TAPS_PER_PHASE; k++) acc += taps[k]! * x[newest - k]!;
        output[o++] = acc;
      }
    }
    x.copyWithin(0, input.length, input.length + hist);
  }
}

/** High rate → low rate (one output sample per `factor` inputs), clamped into Int16. */
export class Downsampler {
  readonly factor: number;
  readonly #h: Float64Array;
  /** The last taps−1 input samples, newest last, followed by the block being converted. */
  #x: Float64Array = new Float64Array(0);

  constructor(factor: number) {
    checkFactor(factor);
    this.factor = factor;
    this.#h = prototype(factor);
  }

  /** Converts `input` (a multiple of factor samples) into `output` (input.length / factor samples). */
  process(input: Float32Array, output: Int16Array): void {
    const factor = this.factor;
    const outLength = input.length / factor;
    if (!Number.isInteger(outLength) || output.length < outLength) throw new RangeError('downsampler sizes do not match');
    const h = this.#h;
    const hist = h.length - 1;
    const x = (this.#x = withHistory(this.#x, hist, input));
    for (let m = 0; m < outLength; m++) {
      const newest = hist + (m + 1) * factor - 1;
      let acc = 0;
      for (let j = 0; j < h.length; j++) acc += h[j]! * x[newest - j]!;
      const r = Math.round(acc);
      output[m] = r > 32767 ? 32767 : r < -32768 ? -32768 : r;
    }
    x.copyWithin(0, input.length, input.length + hist);
  }
}

/**
 * The filter's working buffer: the last `hist` samples already seen, then `input`. Reused while
 * the block size stays the same (every 20 ms tick); a new size keeps the history it has.
 */
function withHistory(x: Float64Array, hist: number, input: ArrayLike<number>): Float64Array {
  let buf = x;
  if (buf.length !== hist + input.length) {
    buf = new Float64Array(hist + input.length);
    const keep = Math.min(hist, x.length);
    buf.set(x.subarray(x.length - keep), hist - keep);
  }
  for (let i = 0; i < input.length; i++) buf[hist + i] = input[i]!;
  return buf;
}
