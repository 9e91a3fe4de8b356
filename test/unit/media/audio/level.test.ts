import { describe, expect, it } from 'vitest';
import { audioLevel, LevelMeter, rms, VoiceActivityDetector } from '../../../../src/media/audio/index.js';
import { tone } from '../../../support/audio.js';

describe('audio level (RFC 6464)', () => {
  it('reads 127 for digital silence', () => {
    expect(audioLevel(new Int16Array(160))).toBe(127);
  });

  it('reads 0 for a full-scale square wave and 3 for a full-scale sine', () => {
    const square = Int16Array.from({ length: 160 }, (_, i) => (i % 2 ? 32767 : -32768));
    expect(audioLevel(square)).toBe(0);
    expect(audioLevel(tone(1000, 8000, 8000, 32767))).toBe(3);
  });

  it('drops 20 per tenfold drop in amplitude', () => {
    const a = audioLevel(tone(1000, 8000, 8000, 10000));
    const b = audioLevel(tone(1000, 8000, 8000, 1000));
    const c = audioLevel(tone(1000, 8000, 8000, 100));
    expect(b - a).toBe(20);
    expect(c - b).toBe(20);
    expect(a).toBe(Math.round(-20 * Math.log10(rms(tone(1000, 8000, 8000, 10000)) / 32768)));
  });

  it('clamps very quiet signals to 127', () => {
    const quiet = new Int16Array(8000);
    quiet[0] = 1;
    expect(audioLevel(quiet)).toBe(127);
  });
});

describe('VoiceActivityDetector', () => {
  it('starts on a loud frame and ends only after the hangover', () => {
    const vad = new VoiceActivityDetector({ thresholdLevel: 50, hangoverFrames: 3 });
    expect(vad.update(90)).toBe(false);
    expect(vad.update(30)).toBe(true);
    expect([vad.update(90), vad.update(90), vad.update(90)]).toEqual([true, true, true]);
    expect(vad.update(90)).toBe(false);
    expect(vad.update(50)).toBe(true);
  });

  it('feeds the level meter used for the V bit', () => {
    const meter = new LevelMeter();
    meter.measure(tone(300, 8000, 160, 8000));
    expect(meter.voice).toBe(true);
    expect(meter.level).toBeLessThan(20);
    meter.measure(new Int16Array(160));
    expect(meter.level).toBe(127);
  });
});
