/**
 * What each Opus encoder setting costs for telephone speech, in CPU and in quality:
 * `npx tsx bench/opus-settings.ts`. Prints figures; asserts nothing.
 *
 * For each setting: µs per 20 ms encode, rotating over BENCH_OPUS_ROTATE encoders (default 80) as
 * in an engine with that many calls, where each encoder's state is out of cache by its turn; and
 * the quality of encode → decode at the same rate on the shipped voice prompts (espeak speech,
 * 16 kHz, decimated to 8 kHz for narrowband) and on a 1 kHz tone:
 *  - SNR: waveform signal-to-noise ratio after aligning the codec's delay. A speech codec that
 *    models the spectrum (SILK) does not keep the waveform, so this is low in absolute terms;
 *    it still ranks settings of one codec and exposes one that breaks the audio.
 *  - LSD: log-spectral distance (dB, lower is better) between the source and the decoded audio
 *    over 32 ms windows with speech in them, which ignores phase: closer to what a listener hears.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OpusCodec, type OpusCodecOptions, type OpusPcmRate } from '../src/media/codecs/opus.js';
import { Decimator2 } from '../src/media/mixer/resampler.js';
import { readWav } from '../src/media/prompts/wav.js';

const ROTATE = Number(process.env['BENCH_OPUS_ROTATE'] ?? 80);

interface Setting {
  name: string;
  options: Omit<OpusCodecOptions, 'sampleRate'>;
}

function speech16k(): Int16Array {
  const dir = fileURLToPath(new URL('../prompts/', import.meta.url));
  const parts = readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => readWav(readFileSync(dir + f)))
    .filter((w) => w.sampleRate === 16000)
    .map((w) => w.samples);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function to8k(pcm16: Int16Array): Int16Array {
  const d = new Decimator2(pcm16.length);
  const out = new Int16Array(pcm16.length >> 1);
  d.process(pcm16.subarray(0, out.length * 2), out);
  return out;
}

function frames(pcm: Int16Array, rate: number): Int16Array[] {
  const n = rate / 50;
  return Array.from({ length: Math.floor(pcm.length / n) }, (_, i) => pcm.slice(i * n, (i + 1) * n));
}

function tone(rate: number, seconds: number, hz: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: rate * seconds }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate)));
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of parts) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** The delay (0-15 ms) at which `decoded` matches `source` best. */
function bestLag(source: Int16Array, decoded: Int16Array, rate: number): number {
  const maxLag = (rate * 15) / 1000;
  let best = 0;
  let bestCorr = -Infinity;
  for (let lag = 0; lag <= maxLag; lag++) {
    let corr = 0;
    for (let i = rate / 2; i < source.length - maxLag; i++) corr += source[i]! * decoded[i + lag]!;
    if (corr > bestCorr) {
      bestCorr = corr;
      best = lag;
    }
  }
  return best;
}

function snrDb(source: Int16Array, decoded: Int16Array, lag: number, rate: number): number {
  let signal = 0;
  let noise = 0;
  for (let i = rate / 2; i < source.length - lag; i++) {
    const s = source[i]!;
    const d = decoded[i + lag]! - s;
    signal += s * s;
    noise += d * d;
  }
  return 10 * Math.log10(signal / Math.max(noise, 1));
}

/** Power spectrum of a Hann-windowed block (plain DFT: the block is short and this is offline). */
function powerSpectrum(x: Int16Array, at: number, n: number, cos: Float64Array, sin: Float64Array): Float64Array {
  const out = new Float64Array(n / 2);
  for (let k = 1; k < n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      const w = x[at + i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
      const idx = (k * i) % n;
      re += w * cos[idx]!;
      im -= w * sin[idx]!;
    }
    out[k] = re * re + im * im;
  }
  return out;
}

/** Mean log-spectral distance (dB) over the windows whose source has speech in it. */
function lsdDb(source: Int16Array, decoded: Int16Array, lag: number, rate: number): number {
  const n = (rate * 32) / 1000;
  const cos = Float64Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / n));
  const sin = Float64Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * i) / n));
  let sum = 0;
  let windows = 0;
  for (let at = rate / 2; at + n + lag < source.length; at += n) {
    let energy = 0;
    for (let i = 0; i < n; i++) energy += source[at + i]! * source[at + i]!;
    if (energy / n < 300 * 300) continue; // pauses: below about -40 dBov
    const s = powerSpectrum(source, at, n, cos, sin);
    const d = powerSpectrum(decoded, at + lag, n, cos, sin);
    let acc = 0;
    for (let k = 1; k < n / 2; k++) {
      const diff = 10 * Math.log10((s[k]! + 1e3) / (d[k]! + 1e3));
      acc += diff * diff;
    }
    sum += Math.sqrt(acc / (n / 2 - 1));
    windows++;
  }
  return sum / Math.max(1, windows);
}

function roundTrip(rate: OpusPcmRate, options: Setting['options'], input: Int16Array[]): { out: Int16Array; bytes: number } {
  const enc = new OpusCodec({ sampleRate: rate, ...options });
  const dec = new OpusCodec({ sampleRate: rate });
  let bytes = 0;
  const decoded = input.map((f) => {
    const packet = Buffer.from(enc.encode(f));
    bytes += packet.length;
    return Int16Array.from(dec.decode(packet));
  });
  enc.close();
  dec.close();
  return { out: concat(decoded), bytes: bytes / input.length };
}

function timeEncode(rate: OpusPcmRate, options: Setting['options'], input: Int16Array[], encoders: number): number {
  const encs = Array.from({ length: encoders }, () => new OpusCodec({ sampleRate: rate, ...options }));
  const payload = Buffer.alloc(1500);
  const run = (i: number): void => {
    encs[i % encoders]!.encode(input[Math.floor(i / encoders) % input.length]!, payload);
  };
  for (let i = 0; i < 4 * encoders + 200; i++) run(i);
  const n = Math.max(3000, 30 * encoders);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run(i);
  const us = Number(process.hrtime.bigint() - start) / 1000 / n;
  for (const e of encs) e.close();
  return us;
}

const SETTINGS: Setting[] = [
  ...[10, 5, 3, 2, 1, 0].map((c) => ({ name: `complexity ${c}, FEC 10%`, options: { complexity: c } })),
  ...[10, 5, 3, 2, 1, 0].map((c) => ({ name: `complexity ${c}, no FEC`, options: { complexity: c, inbandFec: false } })),
  { name: 'complexity 1, FEC 2%', options: { complexity: 1, expectedPacketLossPercent: 2 } },
  { name: 'complexity 1, no FEC, 16 kbit/s', options: { complexity: 1, inbandFec: false, bitrate: 16000 } },
  { name: 'complexity 1, no FEC, 32 kbit/s', options: { complexity: 1, inbandFec: false, bitrate: 32000 } },
];

const voice16 = speech16k();
for (const rate of [8000, 16000] as const) {
  const voice = rate === 8000 ? to8k(voice16) : voice16;
  const voiceFrames = frames(voice, rate);
  const source = concat(voiceFrames);
  const toneSource = tone(rate, 4, 1000, 8000);
  const toneFrames = frames(toneSource, rate);
  console.log(`\nOpus encode from ${rate / 1000} kHz (VOIP, voice signal; ${(source.length / rate).toFixed(0)} s of speech)`);
  console.log(
    `${'setting'.padEnd(32)} ${`µs ×${ROTATE}`.padStart(8)} ${'speech SNR'.padStart(11)} ${'speech LSD'.padStart(11)} ${'tone SNR'.padStart(9)} ${'bytes'.padStart(6)}`,
  );
  for (const s of SETTINGS) {
    const us = timeEncode(rate, s.options, voiceFrames, ROTATE);
    const v = roundTrip(rate, s.options, voiceFrames);
    const lag = bestLag(source, v.out, rate);
    const t = roundTrip(rate, s.options, toneFrames);
    const toneLag = bestLag(toneSource.subarray(0, t.out.length), t.out, rate);
    console.log(
      [
        s.name.padEnd(32),
        us.toFixed(1).padStart(8),
        `${snrDb(source, v.out, lag, rate).toFixed(1)} dB`.padStart(11),
        `${lsdDb(source, v.out, lag, rate).toFixed(2)} dB`.padStart(11),
        `${snrDb(toneSource.subarray(0, t.out.length), t.out, toneLag, rate).toFixed(1)} dB`.padStart(9),
        v.bytes.toFixed(0).padStart(6),
      ].join(' '),
    );
  }
}
