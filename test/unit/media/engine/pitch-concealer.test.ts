import { describe, expect, it } from 'vitest';
import { PitchConcealer } from '../../../../src/media/engine/pitch-concealer.js';
import { ToneGenerator, meanSquare, snrDb } from '../../../support/audio.js';

const RATE = 8000;
const N = 160;

function feed(c: PitchConcealer, gen: ToneGenerator, frames: number): void {
  for (let i = 0; i < frames; i++) c.good(gen.next(N));
}

describe('PitchConcealer', () => {
  it('continues a periodic signal through a lost frame', () => {
    const c = new PitchConcealer(RATE);
    const gen = new ToneGenerator(300, RATE, 8000);
    feed(c, gen, 5);
    const truth = gen.next(N); // what the lost frame carried
    const out = c.lost(new Int16Array(N));
    expect(out).toBeDefined();
    expect(snrDb(truth, out!)).toBeGreaterThan(15);
  });

  it('fades a long outage out instead of repeating forever', () => {
    const c = new PitchConcealer(RATE);
    feed(c, new ToneGenerator(250, RATE, 8000), 5);
    const powers = [1, 2, 3, 4].map(() => meanSquare(c.lost(new Int16Array(N))!));
    expect(powers[1]!).toBeLessThan(powers[0]! * 1.01);
    expect(powers[2]!).toBeLessThan(powers[1]!);
    expect(powers[3]!).toBeLessThan(powers[0]! * 0.1);
  });

  it('leaves noise-like audio to the codec', () => {
    const c = new PitchConcealer(RATE);
    let seed = 5;
    for (let f = 0; f < 5; f++) {
      const noise = new Int16Array(N);
      for (let i = 0; i < N; i++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        noise[i] = ((seed >>> 16) % 8000) - 4000;
      }
      c.good(noise);
    }
    expect(c.lost(new Int16Array(N))).toBeUndefined();
  });

  it('does not extend audio from before a silence', () => {
    const c = new PitchConcealer(RATE);
    feed(c, new ToneGenerator(300, RATE, 8000), 5);
    c.quiet();
    expect(c.lost(new Int16Array(N))).toBeUndefined();
  });

  it('cross-fades from the extrapolation into the first good frame', () => {
    const c = new PitchConcealer(RATE);
    const gen = new ToneGenerator(300, RATE, 8000);
    feed(c, gen, 5);
    gen.next(N);
    c.lost(new Int16Array(N));
    // A good frame that starts with a jump to zero: the fade-in must soften its first samples.
    const next = new Int16Array(N);
    c.good(next);
    expect(meanSquare(next.subarray(0, N / 8))).toBeGreaterThan(1e6);
    expect(next.subarray(N / 4).every((v) => v === 0)).toBe(true);
  });
});
