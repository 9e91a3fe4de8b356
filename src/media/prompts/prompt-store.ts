import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PromptName } from '../media-vocabulary.js';
import { readWav, type PcmAudio } from './wav.js';

export const PROMPT_NAMES: readonly PromptName[] = [
  'enter-pin',
  'wrong-pin',
  'goodbye',
  'please-wait',
  'lobby-wait',
  'lobby-denied',
  'wrong-password',
  'room-full',
  'error',
  'reconnecting',
];

/**
 * All prompts decoded once at startup, at 16 kHz and at 8 kHz, so playing one to a caller costs
 * only the caller codec's encode per frame.
 */
export class PromptStore {
  readonly #pcm = new Map<string, Map<number, Int16Array>>();

  static load(dir: string, names: readonly PromptName[] = PROMPT_NAMES): PromptStore {
    const store = new PromptStore();
    const problems: string[] = [];
    for (const name of names) {
      try {
        store.add(name, readWav(readFileSync(join(dir, `${name}.wav`))));
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (problems.length > 0) throw new Error(`cannot load prompts from ${dir}:\n  ${problems.join('\n  ')}`);
    return store;
  }

  add(name: string, audio: PcmAudio): void {
    if (audio.sampleRate !== 16000 && audio.sampleRate !== 8000) {
      throw new Error(`prompt ${name} is at ${audio.sampleRate} Hz; 8000 or 16000 expected`);
    }
    const rates = new Map<number, Int16Array>([[audio.sampleRate, audio.samples]]);
    if (audio.sampleRate === 16000) rates.set(8000, decimateBy2(audio.samples));
    this.#pcm.set(name, rates);
  }

  /** The prompt's samples at `rate` (8000 or 16000). */
  get(name: string, rate: number): Int16Array {
    const pcm = this.#pcm.get(name)?.get(rate);
    if (pcm === undefined) throw new Error(`no prompt '${name}' at ${rate} Hz`);
    return pcm;
  }

  has(name: string): boolean {
    return this.#pcm.has(name);
  }
}

/**
 * 16 kHz → 8 kHz with a short symmetric low-pass FIR (half-band), done once per prompt at load time.
 * Coefficients are a windowed-sinc half-band design; speech energy above 4 kHz is small enough that
 * this is inaudible on a phone line.
 */
const HALF_BAND = [-0.0106, 0, 0.0329, 0, -0.0837, 0, 0.3106, 0.5, 0.3106, 0, -0.0837, 0, 0.0329, 0, -0.0106];

export function decimateBy2(input: Int16Array): Int16Array {
  const out = new Int16Array(Math.floor(input.length / 2));
  const half = (HALF_BAND.length - 1) / 2;
  for (let o = 0; o < out.length; o++) {
    const center = o * 2;
    let acc = 0;
    for (let k = 0; k < HALF_BAND.length; k++) {
      const i = center + k - half;
      if (i >= 0 && i < input.length) acc += (HALF_BAND[k] ?? 0) * (input[i] ?? 0);
    }
    out[o] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
  }
  return out;
}
