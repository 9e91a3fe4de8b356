import { describe, expect, it } from 'vitest';
import { Decimator2, Interpolator2 } from '../../../../src/media/mixer/index.js';
import { alignedSnrDb, goertzel, meanSquare, tone, ToneGenerator } from '../../../support/audio.js';

function decimate(input: Int16Array): Int16Array {
  const d = new Decimator2();
  const out = new Int16Array(input.length / 2);
  for (let i = 0; i < input.length; i += 320) d.process(input.subarray(i, i + 320), out.subarray(i / 2));
  return out;
}

function interpolate(input: Int16Array): Int16Array {
  const u = new Interpolator2();
  const out = new Int16Array(input.length * 2);
  for (let i = 0; i < input.length; i += 160) u.process(input.subarray(i, i + 160), out.subarray(i * 2));
  return out;
}

describe('2:1 decimator', () => {
  it('keeps a passband tone (1 kHz) at full level and in shape', () => {
    const out = decimate(tone(1000, 16000, 16000, 10000));
    const ref = tone(1000, 8000, 8000, 10000);
    const { snrDb } = alignedSnrDb(ref, out, 30, 400);
    expect(snrDb).toBeGreaterThan(40);
    expect(goertzel(out.subarray(400), 8000, 1000)).toBeCloseTo(10000 ** 2 / 2, -5);
  });

  it('keeps 3 kHz (top of the telephone band) within 1 dB', () => {
    const out = decimate(tone(3000, 16000, 16000, 10000)).subarray(400);
    const gainDb = 10 * Math.log10(goertzel(out, 8000, 3000) / (10000 ** 2 / 2));
    expect(Math.abs(gainDb)).toBeLessThan(1);
  });

  it('attenuates an out-of-band tone (6 kHz, which would alias to 2 kHz) by more than 50 dB', () => {
    const out = decimate(tone(6000, 16000, 16000, 10000)).subarray(400);
    expect(10 * Math.log10(meanSquare(out) / (10000 ** 2 / 2))).toBeLessThan(-50);
  });
});

describe('1:2 interpolator', () => {
  it('keeps a passband tone and its shape', () => {
    const out = interpolate(tone(1000, 8000, 8000, 10000));
    const ref = tone(1000, 16000, 16000, 10000);
    expect(alignedSnrDb(ref, out, 40, 800).snrDb).toBeGreaterThan(40);
  });

  it('suppresses the spectral image above 4 kHz by more than 50 dB', () => {
    const out = interpolate(tone(1000, 8000, 8000, 10000)).subarray(800);
    // Zero-stuffing alone would leave an image of equal level at 8000 - 1000 = 7000 Hz.
    const imageDb = 10 * Math.log10(goertzel(out, 16000, 7000) / (10000 ** 2 / 2));
    expect(imageDb).toBeLessThan(-50);
  });

  it('is continuous across frame boundaries', () => {
    const gen = new ToneGenerator(440, 8000, 8000);
    const u = new Interpolator2();
    const out = new Int16Array(320 * 20);
    for (let f = 0; f < 20; f++) u.process(gen.next(160), out.subarray(f * 320, f * 320 + 320));
    const ref = tone(440, 16000, 320 * 20, 8000);
    expect(alignedSnrDb(ref, out, 40, 640).snrDb).toBeGreaterThan(40);
  });
});
