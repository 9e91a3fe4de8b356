/**
 * Speech in noise for noise-suppression checks: a spoken prompt of prompts/ (espeak-ng speech,
 * 16 kHz) with pauses before and after, mixed with pink noise from a seeded generator, so every
 * run hears the same thing. Levels are RMS in dBFS over the parts of the signal.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { meanSquare } from './audio.js';

export const SPEECH_RATE = 16_000;

function readWavPcm16(path: string): Int16Array {
  const b = readFileSync(path);
  const at = b.indexOf('data');
  if (at < 0) throw new Error(`${path}: no data chunk`);
  const length = b.readUInt32LE(at + 4);
  const bytes = b.subarray(at + 8, at + 8 + length);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Pink noise (Paul Kellet's filter over a seeded white source), RMS about `rms`. */
function pinkNoise(samples: number, rms: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  const out = new Float64Array(samples);
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const w = s / 0x100000000 - 0.5;
    b0 = 0.99765 * b0 + w * 0.099046;
    b1 = 0.963 * b1 + w * 0.2965164;
    b2 = 0.57 * b2 + w * 1.0526913;
    out[i] = b0 + b1 + b2 + w * 0.1848;
    sum += out[i]! * out[i]!;
  }
  const gain = rms / Math.sqrt(sum / samples);
  for (let i = 0; i < samples; i++) out[i] = out[i]! * gain;
  return out;
}

export interface SpeechInNoise {
  /** Clean speech with its pauses (what a perfect suppressor would give). */
  clean: Int16Array;
  /** The same with noise added. */
  noisy: Int16Array;
  /** Sample ranges [start, end) of the parts. */
  before: [number, number];
  speech: [number, number];
  after: [number, number];
}

/**
 * `pauseS` seconds of noise, the prompt, `pauseS` of noise again, a whole number of 20 ms frames,
 * noise at `snrDb` below the speech's RMS.
 */
export function speechInNoise(o: { prompt?: string; pauseS?: number; snrDb?: number; seed?: number } = {}): SpeechInNoise {
  const speech = readWavPcm16(fileURLToPath(new URL(`../../prompts/${o.prompt ?? 'enter-pin'}.wav`, import.meta.url)));
  const pause = Math.round((o.pauseS ?? 1.5) * SPEECH_RATE);
  const frame = SPEECH_RATE / 50;
  const total = Math.ceil((speech.length + 2 * pause) / frame) * frame;
  const clean = new Int16Array(total);
  clean.set(speech, pause);
  const speechRms = Math.sqrt(meanSquare(speech));
  const noise = pinkNoise(total, speechRms * 10 ** (-(o.snrDb ?? 6) / 20), o.seed ?? 12345);
  const noisy = new Int16Array(total);
  for (let i = 0; i < total; i++) noisy[i] = Math.max(-32768, Math.min(32767, Math.round(clean[i]! + noise[i]!)));
  return { clean, noisy, before: [0, pause], speech: [pause, pause + speech.length], after: [pause + speech.length, total] };
}

/** RMS of a[start, end) in dBFS (-Infinity for digital silence). */
export function levelDb(a: Int16Array, [start, end]: readonly [number, number]): number {
  return 10 * Math.log10(meanSquare(a.subarray(start, end)) / 32768 ** 2);
}
