import { describe, expect, it } from 'vitest';
import { NoiseSuppressor } from '../../../../src/media/audio/noise-suppressor.js';
import { Downsampler, Upsampler } from '../../../../src/media/audio/rate-converter.js';
import { Decimator2 } from '../../../../src/media/mixer/resampler.js';
import { goertzel, tone } from '../../../support/audio.js';
import { levelDb, speechInNoise, SPEECH_RATE, type SpeechInNoise } from '../../../support/speech-in-noise.js';

/** Runs `pcm` through a fresh suppressor in 20 ms frames, as the engine does. */
function suppress(pcm: Int16Array, rate: number): Int16Array {
  const out = Int16Array.from(pcm);
  const ns = new NoiseSuppressor();
  const frame = rate / 50;
  for (let o = 0; o + frame <= out.length; o += frame) ns.process(out.subarray(o, o + frame));
  expect(ns.frames).toBe(Math.floor(out.length / frame));
  ns.close();
  return out;
}

/** The same signal at 8 kHz (the mixer's half-band decimator), ranges halved. */
function narrowband(s: SpeechInNoise): SpeechInNoise {
  const half = (a: Int16Array): Int16Array => {
    const d = new Decimator2(a.length);
    const out = new Int16Array(a.length / 2);
    d.process(a, out);
    return out;
  };
  const h = ([a, b]: [number, number]): [number, number] => [a / 2, b / 2];
  return { clean: half(s.clean), noisy: half(s.noisy), before: h(s.before), speech: h(s.speech), after: h(s.after) };
}

/** The pauses without their first 0.5 s, which RNNoise takes to learn the noise (and speech's tail). */
function settled([a, b]: [number, number], rate: number): [number, number] {
  return [a + rate / 2, b];
}

describe('noise suppression (RNNoise)', () => {
  it.each([
    ['16 kHz (G.722, Opus)', SPEECH_RATE],
    ['8 kHz (G.711)', 8000],
  ])('%s: pink noise in the pauses drops by 20 dB or more while the speech keeps its level', (_name, rate) => {
    const wide = speechInNoise({ snrDb: 6 });
    const s = rate === SPEECH_RATE ? wide : narrowband(wide);
    const out = suppress(s.noisy, rate);
    const figures = {
      noiseBefore: [levelDb(s.noisy, settled(s.before, rate)), levelDb(out, settled(s.before, rate))],
      noiseAfter: [levelDb(s.noisy, settled(s.after, rate)), levelDb(out, settled(s.after, rate))],
      speech: [levelDb(s.clean, s.speech), levelDb(s.noisy, s.speech), levelDb(out, s.speech)],
    };
    console.log(`noise suppression at ${rate} Hz (dBFS): ${JSON.stringify(figures, (_k, v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? Math.round(v * 10) / 10 : 'silence') : v))}`);
    expect(figures.noiseBefore[0]! - figures.noiseBefore[1]!).toBeGreaterThanOrEqual(20);
    expect(figures.noiseAfter[0]! - figures.noiseAfter[1]!).toBeGreaterThanOrEqual(20);
    // Against the clean speech: neither cut away nor left with the noise on top (+1 dB at 6 dB SNR).
    expect(Math.abs(figures.speech[2]! - figures.speech[0]!)).toBeLessThanOrEqual(3);
  });

  it('follows a change of rate mid-stream (a re-INVITE from G.711 to G.722) and leaves other frame sizes alone', () => {
    const ns = new NoiseSuppressor();
    for (let i = 0; i < 10; i++) ns.process(new Int16Array(160));
    for (let i = 0; i < 10; i++) ns.process(new Int16Array(320));
    const odd = tone(1000, 48000, 960, 8000);
    const copy = Int16Array.from(odd);
    ns.process(odd);
    expect(odd).toEqual(copy);
    expect(ns.frames).toBe(20);
    ns.close();
    ns.close();
  });
});

describe('48 kHz rate conversion', () => {
  it.each([
    [3, 16000, [300, 3400, 7000]],
    [6, 8000, [300, 1000, 3400]],
  ])('×%i from %i Hz: a round trip keeps pass-band tones within 0.5 dB', (factor, rate, freqs) => {
    const up = new Upsampler(factor);
    const down = new Downsampler(factor);
    const frame = rate / 50;
    for (const f of freqs) {
      const input = tone(f, rate, frame * 20, 10000);
      const out = new Int16Array(input.length);
      const high = new Float32Array(frame * factor);
      for (let o = 0; o < input.length; o += frame) {
        up.process(input.subarray(o, o + frame), high);
        down.process(high, out.subarray(o, o + frame));
      }
      const tail = out.subarray(frame * 5);
      const gain = 10 * Math.log10(goertzel(tail, rate, f) / goertzel(input.subarray(frame * 5), rate, f));
      expect(Math.abs(gain), `${f} Hz`).toBeLessThan(0.5);
    }
  });

  it('puts no image of the tone above the low rate at 48 kHz', () => {
    const up = new Upsampler(6);
    const high = new Float32Array(960);
    const input = tone(1000, 8000, 160 * 10, 10000);
    let imagePower = 0;
    let tonePower = 0;
    for (let o = 0; o < input.length; o += 160) {
      up.process(input.subarray(o, o + 160), high);
      if (o >= 160 * 5) {
        tonePower += goertzel(high, 48000, 1000);
        // 8 kHz − 1 kHz and 8 kHz + 1 kHz: where zero-stuffing would put the first images.
        imagePower += goertzel(high, 48000, 7000) + goertzel(high, 48000, 9000);
      }
    }
    expect(10 * Math.log10(imagePower / tonePower)).toBeLessThan(-50);
  });
});
