/**
 * What noise suppression costs per call: RNNoise (@jitsi/rnnoise-wasm) on one caller's 20 ms
 * frames at 8 kHz (G.711) and 16 kHz (G.722, Opus), with the 48 kHz rate conversion around it,
 * and the rate conversion alone; CPU time (process.cpuUsage), so other load on the machine
 * matters less than for wall time. The audio is speech in pink noise (prompts/ + a seeded
 * generator), so RNNoise works as it does on a call; the effect on it is printed too (levels in
 * dBFS: the pauses before and after the speech, whole and without their first 0.5 s, and the
 * speech against the clean recording). Run: npx tsx bench/noise.ts [frames]
 */
import { NoiseSuppressor } from '../src/media/audio/noise-suppressor.js';
import { Downsampler, Upsampler } from '../src/media/audio/rate-converter.js';
import { Decimator2 } from '../src/media/mixer/resampler.js';
import { levelDb, speechInNoise } from '../test/support/speech-in-noise.js';

const FRAMES = Number(process.argv[2] ?? 3000);

function cpuUs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

function signalAt(rate: number): Int16Array {
  const wide = speechInNoise({ snrDb: 6 }).noisy;
  if (rate === 16000) return wide;
  const narrow = new Int16Array(wide.length / 2);
  new Decimator2(wide.length).process(wide, narrow);
  return narrow;
}

for (const rate of [8000, 16000]) {
  const audio = signalAt(rate);
  const frame = rate / 50;
  const frames = Math.floor(audio.length / frame);
  const work = new Int16Array(frame);
  const next = (i: number): Int16Array => {
    const o = (i % frames) * frame;
    work.set(audio.subarray(o, o + frame));
    return work;
  };

  const ns = new NoiseSuppressor();
  for (let i = 0; i < 200; i++) ns.process(next(i));
  const full = cpuUs(() => {
    for (let i = 0; i < FRAMES; i++) ns.process(next(i));
  }) / FRAMES;
  ns.close();

  const factor = 48000 / rate;
  const up = new Upsampler(factor);
  const down = new Downsampler(factor);
  const high = new Float32Array(960);
  for (let i = 0; i < 200; i++) {
    up.process(next(i), high);
    down.process(high, work);
  }
  const resample = cpuUs(() => {
    for (let i = 0; i < FRAMES; i++) {
      up.process(next(i), high);
      down.process(high, work);
    }
  }) / FRAMES;

  // 50 frames a second per call: µs per frame × 50 = µs of CPU per second = millionths of a core.
  console.log(
    `${rate / 1000} kHz: noise suppression ${full.toFixed(0)} µs/frame (${((full * 50) / 1e4).toFixed(2)} % of a core per call), ` +
      `of which rate conversion ${resample.toFixed(0)} µs`,
  );
}

{
  const s = speechInNoise({ snrDb: 6 });
  const out = Int16Array.from(s.noisy);
  const ns = new NoiseSuppressor();
  for (let o = 0; o + 320 <= out.length; o += 320) ns.process(out.subarray(o, o + 320));
  ns.close();
  const settled = ([a, b]: [number, number]): [number, number] => [a + 8000, b];
  const f = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)}` : 'digital silence');
  console.log(`effect at 16 kHz, pink noise 6 dB under the speech (dBFS, noisy → suppressed):`);
  console.log(`  pause before: ${f(levelDb(s.noisy, s.before))} → ${f(levelDb(out, s.before))}; after its first 0.5 s: ${f(levelDb(s.noisy, settled(s.before)))} → ${f(levelDb(out, settled(s.before)))}`);
  console.log(`  pause after:  ${f(levelDb(s.noisy, s.after))} → ${f(levelDb(out, s.after))}; after its first 0.5 s: ${f(levelDb(s.noisy, settled(s.after)))} → ${f(levelDb(out, settled(s.after)))}`);
  console.log(`  speech: clean ${f(levelDb(s.clean, s.speech))}, noisy ${f(levelDb(s.noisy, s.speech))}, suppressed ${f(levelDb(out, s.speech))}`);
}
