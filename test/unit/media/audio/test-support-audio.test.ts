import { describe, expect, it } from 'vitest';
import { alignedSnrDb, detectTones, goertzel, meanSquare, multiTone, snrDb, tone, ToneGenerator } from '../../../support/audio.js';

describe('test support: audio helpers', () => {
  it('measures a tone at A²/2 with Goertzel and leaves other frequencies near zero', () => {
    const t = tone(1000, 16000, 1600, 8000);
    expect(goertzel(t, 16000, 1000) / (8000 ** 2 / 2)).toBeCloseTo(1, 1);
    expect(goertzel(t, 16000, 1300)).toBeLessThan(8000 ** 2 / 2 / 1000);
    expect(meanSquare(t)).toBeCloseTo(8000 ** 2 / 2, -4);
  });

  it('detects exactly the tones present, and none in silence', () => {
    const mix = multiTone([440, 1200, 2600], 8000, 1600, 5000);
    expect(detectTones(mix, 8000, [300, 440, 800, 1200, 2000, 2600])).toEqual([440, 1200, 2600]);
    expect(detectTones(new Int16Array(800), 8000, [440])).toEqual([]);
  });

  it('generates continuous phase across frames', () => {
    const gen = new ToneGenerator(700, 8000, 9000);
    const framed = new Int16Array(800);
    for (let i = 0; i < 800; i += 160) framed.set(gen.next(160), i);
    expect(snrDb(tone(700, 8000, 800, 9000), framed)).toBeGreaterThan(60);
  });

  it('finds the delay that aligns two signals', () => {
    const ref = multiTone([300, 710, 1900], 8000, 2000, 4000);
    const delayed = new Int16Array(2000);
    delayed.set(ref.subarray(0, 2000 - 17), 17);
    const { snrDb: snr, lag } = alignedSnrDb(ref, delayed, 30, 0, 1800);
    expect(lag).toBe(17);
    expect(snr).toBe(Infinity);
  });
});
