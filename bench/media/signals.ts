/**
 * Test signals of the media benchmark, made once and reused: every per-tick packet on the load
 * side is pre-encoded, so the load process spends its CPU on sockets and SRTP, not codecs.
 *
 * Each call's audio repeats a one-second cycle: a 100 ms loud tone burst (frames 0-4, about
 * -13 dBov) then 900 ms of a quieter tone (about -27 dBov, still "speech" for the gateway's VAD, so
 * the encoder runs every tick). The burst onset, timed at the sender and detected at the receiver
 * (RTP audio-level toward the bridge, PCM energy toward the phone), gives the one-way latency.
 * The meeting phone of scenario C talks one such second in every MEETING_CYCLE_FRAMES (20% of
 * the time) and is near-silent the rest.
 */
import { audioLevel } from '../../src/media/audio/level.js';
import { G711Codec } from '../../src/media/codecs/g711.js';
import { OpusCodec } from '../../src/media/codecs/opus.js';

export const CYCLE_FRAMES = 50;
/** Scenario C: a phone talks one cycle (1 s) in five, so 20% of the time. */
export const MEETING_CYCLE_FRAMES = 250;
export const BURST_FRAMES = 5;
/** RFC 6464 levels at or below this are the burst (burst ~13, background ~27). */
export const BURST_LEVEL = 18;
/** Mean |sample| above this is the burst at the phone (background ~1300, burst ~6400). */
export const BURST_MEAN_ABS = 4000;

function toneFrame(rate: number, index: number, freqHz: number, amplitude: number): Int16Array {
  const n = rate / 50;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * (index * n + i)) / rate));
  return out;
}

function cycle(rate: number, burstHz: number): Int16Array[] {
  return Array.from({ length: CYCLE_FRAMES }, (_, i) =>
    i < BURST_FRAMES ? toneFrame(rate, i, burstHz, 10000) : toneFrame(rate, i, 300, 2000),
  );
}

/** The phone's cycle as PCMU payloads. */
export function phoneCycle(): Buffer[] {
  const codec = new G711Codec('PCMU');
  return cycle(8000, 1000).map((f) => Buffer.from(codec.encode(f)));
}

/** A near-silent phone (about -60 dBov): the gateway's VAD gate stays closed. */
export function quietPhoneCycle(): Buffer[] {
  const codec = new G711Codec('PCMU');
  return Array.from({ length: CYCLE_FRAMES }, (_, i) => Buffer.from(codec.encode(toneFrame(8000, i, 300, 30))));
}

/**
 * Scenario C's phone: one second of talk (the loud cycle: burst, then speech-level tone), then
 * near-silence, every MEETING_CYCLE_FRAMES. The gateway's VAD hangover (300 ms) keeps the encoder
 * on a little past the talk, as it would after real speech.
 */
export function meetingPhoneCycle(): Buffer[] {
  const talk = phoneCycle();
  const quiet = quietPhoneCycle();
  return Array.from({ length: MEETING_CYCLE_FRAMES }, (_, i) => (i < CYCLE_FRAMES ? talk[i]! : quiet[i % CYCLE_FRAMES]!));
}

export interface SpeakerFrame {
  payload: Buffer;
  level: number;
}

/** The active web speaker's cycle as Opus packets (16 kHz, as a browser sends) with their levels. */
export function speakerCycle(): SpeakerFrame[] {
  const enc = new OpusCodec({ sampleRate: 16000 });
  const frames = cycle(16000, 600);
  // Two rounds: the first warms the encoder up, the second is what is sent.
  frames.forEach((f) => enc.encode(f));
  const out = frames.map((f) => ({ payload: Buffer.from(enc.encode(f)), level: audioLevel(f) }));
  enc.close();
  return out;
}

/** A silent web speaker: Opus silence with level 127. */
export function silentSpeakerFrame(): SpeakerFrame {
  const enc = new OpusCodec({ sampleRate: 16000 });
  const zeros = new Int16Array(320);
  let p = enc.encode(zeros);
  for (let i = 0; i < 4; i++) p = enc.encode(zeros);
  enc.close();
  return { payload: Buffer.from(p), level: 127 };
}

/** Speech-like frames (several harmonics, syllable envelope, a little noise) for codec timing. */
export function speechLike(rate: number, frames: number): Int16Array[] {
  const n = rate / 50;
  const tones: Array<[number, number]> = [
    [180, 3000],
    [420, 2600],
    [900, 2000],
    [1700, 1200],
    [2900, 600],
  ];
  let seed = 1;
  return Array.from({ length: frames }, (_, f) => {
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const t = f * n + i;
      let v = 0;
      for (const [hz, a] of tones) if (hz < rate / 2) v += a * Math.sin((2 * Math.PI * hz * t) / rate);
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      v += ((seed >>> 16) % 400) - 200;
      out[i] = Math.round(v * (0.55 + 0.45 * Math.sin((2 * Math.PI * 4 * t) / rate)));
    }
    return out;
  });
}
