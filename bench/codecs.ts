/**
 * Micro-benchmark of the media engine's per-tick building blocks: µs per 20 ms frame for each
 * codec direction, the room mixer and the jitter buffer. Run with `npx tsx bench/codecs.ts`.
 * Inputs are speech-like multi-tone signals (silence would flatter the codecs).
 */
import { G711Codec } from '../src/media/codecs/g711.js';
import { G722Codec } from '../src/media/codecs/g722.js';
import { OpusCodec } from '../src/media/codecs/opus.js';
import { JitterBuffer } from '../src/media/jitter/jitter-buffer.js';
import { Decimator2, Interpolator2 } from '../src/media/mixer/resampler.js';
import { MultiRateRoomMixer } from '../src/media/mixer/multi-rate-mixer.js';
import { RoomMixer } from '../src/media/mixer/room-mixer.js';
import { audioLevel } from '../src/media/audio/level.js';

const FRAMES = 100; // distinct frames cycled through (2 s of audio)

function speechLike(rate: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  const tones: Array<[number, number]> = [
    [180, 3000],
    [420, 2600],
    [900, 2000],
    [1700, 1200],
    [2900, 600],
    [5100, 250],
  ];
  let seed = 1;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const [f, a] of tones) if (f < rate / 2) v += a * Math.sin((2 * Math.PI * f * i) / rate);
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    v += ((seed >>> 16) % 400) - 200;
    // Syllable-like amplitude envelope at 4 Hz.
    out[i] = Math.round(v * (0.55 + 0.45 * Math.sin((2 * Math.PI * 4 * i) / rate)));
  }
  return out;
}

function frames(pcm: Int16Array, size: number): Int16Array[] {
  return Array.from({ length: FRAMES }, (_, i) => pcm.slice(i * size, (i + 1) * size));
}

/** Runs `fn` until at least `minMs` have passed (after a warm-up) and returns µs per call. */
function measure(fn: (i: number) => void, minMs = 300): number {
  for (let i = 0; i < 300; i++) fn(i);
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  const limit = BigInt(minMs) * 1_000_000n;
  while (elapsed < limit) {
    for (let k = 0; k < 100; k++) fn(calls++);
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / 1000 / calls;
}

function report(name: string, us: number): void {
  console.log(`${name.padEnd(58)} ${us.toFixed(2).padStart(8)} µs/frame`);
}

const nb = frames(speechLike(8000, 2), 160);
const wb = frames(speechLike(16000, 2), 320);

// G.711
for (const law of ['PCMU', 'PCMA'] as const) {
  const c = new G711Codec(law);
  const payload = Buffer.alloc(160);
  const pcm = new Int16Array(160);
  const encoded = nb.map((f) => Buffer.from(c.encode(f)));
  report(`G.711 ${law} encode (8 kHz)`, measure((i) => c.encode(nb[i % FRAMES]!, payload)));
  report(`G.711 ${law} decode (8 kHz)`, measure((i) => c.decode(encoded[i % FRAMES]!, pcm)));
}

// G.722
{
  const enc = new G722Codec();
  const dec = new G722Codec();
  const payload = Buffer.alloc(160);
  const pcm = new Int16Array(320);
  const encoded = wb.map((f) => Buffer.from(new G722Codec().encode(f)));
  report('G.722 encode (16 kHz)', measure((i) => enc.encode(wb[i % FRAMES]!, payload)));
  report('G.722 decode (16 kHz)', measure((i) => dec.decode(encoded[i % FRAMES]!, pcm)));
}

// Opus
for (const rate of [8000, 16000] as const) {
  const src = rate === 8000 ? nb : wb;
  const enc = new OpusCodec({ sampleRate: rate, complexity: 5 });
  const payload = Buffer.alloc(1500);
  report(`Opus encode from ${rate / 1000} kHz (complexity 5)`, measure((i) => enc.encode(src[i % FRAMES]!, payload)));
  // Decode packets as a browser would send them: 48 kHz wideband-or-better Opus.
  const wide = new OpusCodec({ sampleRate: 16000, complexity: 5 });
  const packets = wb.map((f) => Buffer.from(wide.encode(f)));
  const dec = new OpusCodec({ sampleRate: rate });
  const pcm = new Int16Array(rate / 50);
  report(`Opus decode to ${rate / 1000} kHz`, measure((i) => dec.decode(packets[i % FRAMES]!, pcm)));
  report(`Opus PLC frame at ${rate / 1000} kHz`, measure(() => dec.decodeMissing(pcm)));
}

// Mixer: 30 participants in one room, each hears everyone else.
for (const rate of [8000, 16000] as const) {
  const n = rate / 50;
  const src = rate === 8000 ? nb : wb;
  const mixer = new RoomMixer(n);
  const ids = Array.from({ length: 30 }, (_, i) => `p${i}`);
  const out = new Int16Array(n);
  report(
    `RoomMixer N=30 at ${rate / 1000} kHz (whole room: 30 in, 30 out)`,
    measure((t) => {
      mixer.clear();
      for (let k = 0; k < ids.length; k++) mixer.setFrame(ids[k]!, src[(t + k) % FRAMES]!);
      for (let k = 0; k < ids.length; k++) mixer.mixFor(ids[k]!, out);
    }),
  );
}
{
  // Mixed room: 10 narrowband + 20 wideband participants.
  const mixer = new MultiRateRoomMixer();
  const out8 = new Int16Array(160);
  const out16 = new Int16Array(320);
  report(
    'MultiRateRoomMixer 10×8 kHz + 20×16 kHz (whole room)',
    measure((t) => {
      mixer.clear();
      for (let k = 0; k < 10; k++) mixer.setFrame(`n${k}`, nb[(t + k) % FRAMES]!, 8000);
      for (let k = 0; k < 20; k++) mixer.setFrame(`w${k}`, wb[(t + k) % FRAMES]!, 16000);
      for (let k = 0; k < 10; k++) mixer.mixFor(`n${k}`, 8000, out8);
      for (let k = 0; k < 20; k++) mixer.mixFor(`w${k}`, 16000, out16);
    }),
  );
  const d = new Decimator2();
  const u = new Interpolator2();
  report('Decimator 16→8 kHz', measure((i) => d.process(wb[i % FRAMES]!, out8)));
  report('Interpolator 8→16 kHz', measure((i) => u.process(nb[i % FRAMES]!, out16)));
}

// Jitter buffer: one push and one pop per frame, with the occasional reorder.
{
  const jb = new JitterBuffer({ clockRate: 48000 });
  const payload = new Uint8Array(80).fill(7);
  report(
    'JitterBuffer push + pop',
    measure((i) => {
      const s = i % 50 === 10 ? i + 1 : i % 50 === 11 ? i - 1 : i; // swap one pair in 50
      jb.push(s & 0xffff, (s * 960) >>> 0, payload, i * 20);
      jb.pop();
    }),
  );
}

report('Audio level (RFC 6464) of a 16 kHz frame', measure((i) => audioLevel(wb[i % FRAMES]!)));
