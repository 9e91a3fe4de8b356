/**
 * Audio helpers for tests: tone generators, a Goertzel detector to check which tones a stream
 * carries, and SNR measurement. Tests assert audio by content (distinct tones per speaker), never
 * by exact samples, so they survive codecs, mixing and resampling.
 */

/** One sinusoid as 16-bit PCM. `phase` is in radians. */
export function tone(freqHz: number, sampleRate: number, samples: number, amplitude: number, phase = 0): Int16Array {
  const out = new Int16Array(samples);
  const w = (2 * Math.PI * freqHz) / sampleRate;
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin(phase + w * i));
  return out;
}

/** A sinusoid produced frame by frame without phase jumps between frames. */
export class ToneGenerator {
  readonly #w: number;
  #phase: number;

  constructor(
    readonly freqHz: number,
    readonly sampleRate: number,
    readonly amplitude: number,
    phase = 0,
  ) {
    this.#w = (2 * Math.PI * freqHz) / sampleRate;
    this.#phase = phase;
  }

  /** Writes the next `out.length` samples; with `add`, sums into `out` (with int16 clamping). */
  fill(out: Int16Array, add = false): Int16Array {
    for (let i = 0; i < out.length; i++) {
      const v = this.amplitude * Math.sin(this.#phase + this.#w * i) + (add ? out[i]! : 0);
      out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    this.#phase = (this.#phase + this.#w * out.length) % (2 * Math.PI);
    return out;
  }

  next(samples: number): Int16Array {
    return this.fill(new Int16Array(samples));
  }
}

/**
 * Sum of several tones, e.g. a speech-like multi-tone signal. `amplitude` is one value for all or
 * one per tone (speech falls off with frequency: give the high tones less).
 */
export function multiTone(
  freqsHz: readonly number[],
  sampleRate: number,
  samples: number,
  amplitude: number | readonly number[],
): Int16Array {
  const out = new Int16Array(samples);
  freqsHz.forEach((f, i) => {
    const a = typeof amplitude === 'number' ? amplitude : (amplitude[i] ?? 0);
    new ToneGenerator(f, sampleRate, a, i * 0.7).fill(out, true);
  });
  return out;
}

/** Mean square of the signal (its power). */
export function meanSquare(pcm: ArrayLike<number>): number {
  if (pcm.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < pcm.length; i++) s += pcm[i]! * pcm[i]!;
  return s / pcm.length;
}

/**
 * Power of the `freqHz` component (Goertzel over a Hann-windowed block), scaled so that a pure
 * sinusoid of amplitude A gives A²/2, i.e. directly comparable with meanSquare(). The window keeps
 * strong neighbouring tones from leaking into the measured one.
 */
export function goertzel(pcm: ArrayLike<number>, sampleRate: number, freqHz: number): number {
  const n = pcm.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freqHz) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let windowSum = 0;
  for (let i = 0; i < n; i++) {
    const win = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1 || 1));
    windowSum += win;
    const s0 = pcm[i]! * win + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const magSq = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * magSq) / (windowSum * windowSum);
}

/** Share of the block's power at each candidate frequency (0..~1). */
export function toneRatios(pcm: ArrayLike<number>, sampleRate: number, candidateFreqs: readonly number[]): number[] {
  const total = meanSquare(pcm);
  return candidateFreqs.map((f) => (total > 0 ? goertzel(pcm, sampleRate, f) / total : 0));
}

/**
 * The candidate frequencies present in `pcm`: those carrying at least `minRatio` of the block's
 * total power. A block of silence has none.
 */
export function detectTones(
  pcm: ArrayLike<number>,
  sampleRate: number,
  candidateFreqs: readonly number[],
  minRatio = 0.05,
): number[] {
  const ratios = toneRatios(pcm, sampleRate, candidateFreqs);
  return candidateFreqs.filter((_, i) => ratios[i]! >= minRatio);
}

/** SNR in dB of `test` against `reference` (same alignment); Infinity when identical. */
export function snrDb(reference: ArrayLike<number>, test: ArrayLike<number>): number {
  const n = Math.min(reference.length, test.length);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < n; i++) {
    const r = reference[i]!;
    const e = r - test[i]!;
    signal += r * r;
    noise += e * e;
  }
  if (noise === 0) return Infinity;
  return 10 * Math.log10(signal / noise);
}

/**
 * Best SNR over delays 0..maxLag of `test` behind `reference` (codecs and filters delay the
 * signal). Compares `length` samples starting at `skip` in the reference, so that start-up
 * transients can be left out.
 */
export function alignedSnrDb(
  reference: ArrayLike<number>,
  test: ArrayLike<number>,
  maxLag: number,
  skip = 0,
  length = reference.length - skip - maxLag,
): { snrDb: number; lag: number } {
  let best = { snrDb: -Infinity, lag: 0 };
  const ref = Array.prototype.slice.call(reference, skip, skip + length) as number[];
  for (let lag = 0; lag <= maxLag; lag++) {
    const seg = Array.prototype.slice.call(test, skip + lag, skip + lag + length) as number[];
    if (seg.length < ref.length) break;
    const snr = snrDb(ref, seg);
    if (snr > best.snrDb) best = { snrDb: snr, lag };
  }
  return best;
}
