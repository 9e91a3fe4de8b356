import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decimateBy2, PROMPT_NAMES, PromptStore } from '../../../../src/media/prompts/prompt-store.js';
import { readWav, WavFormatError } from '../../../../src/media/prompts/wav.js';

const promptsDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../prompts');

function power(pcm: Int16Array, rate: number, freq: number): number {
  // Goertzel power, normalised to amplitude squared (independent of length).
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (const x of pcm) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (pcm.length * pcm.length);
}

describe('shipped prompts', () => {
  it('load at 16 kHz and 8 kHz and contain speech', () => {
    const store = PromptStore.load(promptsDir);
    for (const name of PROMPT_NAMES) {
      const wide = store.get(name, 16000);
      const narrow = store.get(name, 8000);
      expect(wide.length / 16000).toBeGreaterThan(1);
      expect(narrow.length).toBe(Math.floor(wide.length / 2));
      let peak = 0;
      for (const s of narrow) peak = Math.max(peak, Math.abs(s));
      expect(peak, name).toBeGreaterThan(8000);
    }
  });

  it('reports every missing or broken prompt at once', () => {
    expect(() => PromptStore.load('/nonexistent-dir')).toThrow(/enter-pin[\s\S]*goodbye/);
  });
});

describe('readWav', () => {
  it('rejects files that are not 16-bit mono PCM WAV', () => {
    expect(() => readWav(Buffer.from('hello world, not a wav'))).toThrow(WavFormatError);
    const header = Buffer.alloc(44);
    header.write('RIFF', 0, 'ascii');
    header.write('WAVE', 8, 'ascii');
    header.write('fmt ', 12, 'ascii');
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(2, 22); // stereo
    header.writeUInt32LE(8000, 24);
    header.writeUInt16LE(16, 34);
    expect(() => readWav(header)).toThrow(/2 channels/);
  });
});

describe('decimateBy2', () => {
  it('keeps a 1 kHz tone and removes a 6 kHz one', () => {
    const n = 16000;
    const low = new Int16Array(n);
    const high = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      low[i] = Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / 16000));
      high[i] = Math.round(10000 * Math.sin((2 * Math.PI * 6000 * i) / 16000));
    }
    const lowOut = decimateBy2(low);
    const highOut = decimateBy2(high);
    expect(power(lowOut, 8000, 1000)).toBeGreaterThan(0.8 * power(low, 16000, 1000));
    // 6 kHz aliases to 2 kHz at 8 kHz; the filter must have removed most of it.
    let energy = 0;
    for (const s of highOut) energy += s * s;
    let inEnergy = 0;
    for (const s of high) inEnergy += s * s;
    expect(energy / highOut.length).toBeLessThan(0.05 * (inEnergy / high.length));
  });
});
