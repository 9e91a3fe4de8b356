/**
 * One remote speaker (an SSRC the bridge forwards) of a room: its jitter buffer and its Opus
 * decoder, shared by every call of the room. Each tick it yields at most one frame for the mixer.
 *
 * The decode is skipped when the frame's RFC 6464 level is at or above `skipLevel` (default 90,
 * i.e. quieter than -90 dBov): such a frame is inaudible, especially after G.711 (whose smallest step is about
 * -84 dBov), and silent speakers are most of a meeting. The V bit is not used: senders set it
 * from their own VAD, and a "no voice" frame can still carry audible sound. A packet without the
 * extension is always decoded. A loss right after a skipped frame plays as silence rather than
 * concealment, since there is nothing to conceal.
 *
 * Jitsi clients send 20 ms Opus packets and the jitter buffer plays one packet per tick; a packet
 * of another duration is decoded whole and only its first 20 ms are played (counted as
 * `otherDurations`), which keeps the tick path simple for what never happens in practice.
 */
import { CodecError } from '../codecs/codec.js';
import { OpusCodec, type OpusPcmRate } from '../codecs/opus.js';
import { JitterBuffer, type JitterBufferOptions, type JitterPushOutcome } from '../jitter/jitter-buffer.js';
import { PitchConcealer } from './pitch-concealer.js';

/** Tags pushed as the jitter buffer's "payload type": the engine, not the SDP, decides the kind. */
export const PAYLOAD_AUDIO = 0;
export const PAYLOAD_EVENT = 1;

/** Levels at or above this (quieter than -90 dBov) are not decoded. */
export const DEFAULT_SKIP_DECODE_LEVEL = 90;

export type RemoteJitterOptions = Omit<JitterBufferOptions, 'clockRate'>;

export interface RemoteStreamCounters {
  /** Packets stored (first copy of each). */
  received: number;
  /** Copies of an already stored packet (the same SSRC arriving on several calls' transports). */
  duplicates: number;
  decoded: number;
  /** Frames not decoded because their level said silence. */
  skippedSilent: number;
  /** Frames concealed, by pitch repetition or Opus PLC (lost or late packets). */
  concealed: number;
  decodeErrors: number;
  /** Telephone-event packets (their slots play as silence). */
  events: number;
  /** Packets that were not 20 ms long. */
  otherDurations: number;
}

const SILK_TENTHS = [100, 200, 400, 600];
const CELT_TENTHS = [25, 50, 100, 200];

/** Opus TOC frame sizes in tenths of ms, by configuration (RFC 6716 §3.1). */
function frameTenthsMs(config: number): number {
  if (config < 12) return SILK_TENTHS[config & 3]!;
  if (config < 16) return (config & 1) === 0 ? 100 : 200;
  return CELT_TENTHS[config & 3]!;
}

/** Duration of an Opus packet in tenths of ms, from its TOC (and frame count) byte. */
export function opusPacketTenthsMs(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const code = toc & 3;
  const frames = code === 0 ? 1 : code < 3 ? 2 : packet.length > 1 ? packet[1]! & 0x3f : 0;
  return frames * frameTenthsMs(toc >> 3);
}

export class RemoteStream {
  readonly ssrc: number;
  /** The mixer's source id for this stream. */
  readonly key: string;
  owner: string | undefined;
  lastPacketMs: number;
  readonly counters: RemoteStreamCounters = {
    received: 0,
    duplicates: 0,
    decoded: 0,
    skippedSilent: 0,
    concealed: 0,
    decodeErrors: 0,
    events: 0,
    otherDurations: 0,
  };
  readonly #jitter: JitterBuffer;
  readonly #skipLevel: number;
  #decoder: OpusCodec | undefined;
  #concealer: PitchConcealer;
  #rate: OpusPcmRate;
  #pcm: Int16Array;
  /** Room for the longest Opus packet (120 ms), for packets that are not 20 ms. */
  #long: Int16Array;
  /** The last frame was silence (skipped or none): a loss now needs no concealment. */
  #silent = true;

  constructor(ssrc: number, rate: OpusPcmRate, nowMs: number, jitter: RemoteJitterOptions, skipLevel: number) {
    this.ssrc = ssrc;
    this.key = `r${ssrc}`;
    this.lastPacketMs = nowMs;
    this.#rate = rate;
    this.#pcm = new Int16Array(rate / 50);
    this.#long = new Int16Array((rate * 120) / 1000);
    this.#concealer = new PitchConcealer(rate);
    this.#skipLevel = skipLevel;
    this.#jitter = new JitterBuffer({ maxPayloadBytes: 1280, ...jitter, clockRate: 48000 });
  }

  get rate(): OpusPcmRate {
    return this.#rate;
  }

  /** The jitter buffer's view: jitter, depth and target, frames lost, packets that came too late. */
  reception(): { jitterMs: number; depthMs: number; targetMs: number; lost: number; late: number } {
    const j = this.#jitter.stats();
    return { jitterMs: j.jitterMs, depthMs: j.depthMs, targetMs: j.targetMs, lost: j.lost, late: j.late };
  }

  /** Decoding moves to another rate (the room gained or lost its last wideband caller). */
  setRate(rate: OpusPcmRate): void {
    if (rate === this.#rate) return;
    this.#rate = rate;
    this.#pcm = new Int16Array(rate / 50);
    this.#long = new Int16Array((rate * 120) / 1000);
    this.#concealer = new PitchConcealer(rate);
    this.#decoder?.close();
    this.#decoder = undefined;
    this.#silent = true;
  }

  push(seq: number, timestamp: number, payload: Uint8Array, nowMs: number, kind: number, marker: boolean, level: number): JitterPushOutcome {
    this.lastPacketMs = nowMs;
    const outcome = this.#jitter.push(seq, timestamp, payload, nowMs, kind, marker, level);
    if (outcome === 'stored' || outcome === 'resync') {
      this.counters.received++;
      if (kind === PAYLOAD_EVENT) this.counters.events++;
    } else if (outcome === 'duplicate') {
      this.counters.duplicates++;
    }
    return outcome;
  }

  /** The packet `seq` is already buffered or played: a copy of it would be dropped as a duplicate. */
  holds(seq: number): boolean {
    return this.#jitter.holds(seq);
  }

  /** This tick's frame at `rate` (a reused buffer), or undefined when the speaker is silent. */
  playout(): Int16Array | undefined {
    const popped = this.#jitter.pop();
    if (popped === undefined) return this.#quiet();
    const c = this.counters;
    if (popped === 'missing') {
      if (this.#silent || this.#decoder === undefined) return this.#quiet();
      return this.#conceal(this.#decoder);
    }
    if (this.#jitter.lastPayloadType !== PAYLOAD_AUDIO) return this.#quiet();
    const level = this.#jitter.lastLevel;
    if (level >= this.#skipLevel) {
      c.skippedSilent++;
      return this.#quiet();
    }
    const decoder = (this.#decoder ??= new OpusCodec({ sampleRate: this.#rate }));
    try {
      let pcm: Int16Array;
      if (opusPacketTenthsMs(popped) === 200) {
        pcm = decoder.decode(popped, this.#pcm);
      } else {
        c.otherDurations++;
        const whole = decoder.decode(popped, this.#long);
        const n = Math.min(whole.length, this.#pcm.length);
        this.#pcm.set(whole.subarray(0, n));
        this.#pcm.fill(0, n);
        pcm = this.#pcm;
      }
      c.decoded++;
      this.#silent = false;
      this.#concealer.good(pcm);
      return pcm;
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      c.decodeErrors++;
      return this.#conceal(decoder);
    }
  }

  /** Drops `frames` frames unplayed (the engine stalled for that long): keeps the latency. */
  discard(frames: number): void {
    for (let i = 0; i < frames; i++) if (this.#jitter.pop() === undefined) break;
    this.#quiet();
  }

  /** A lost or undecodable frame: pitch repetition when the audio is periodic, else libopus' PLC. */
  #conceal(decoder: OpusCodec): Int16Array {
    this.counters.concealed++;
    const extended = this.#concealer.lost(this.#pcm);
    if (extended !== undefined) return extended;
    const plc = decoder.decodeMissing(this.#pcm);
    this.#concealer.codecConcealed(plc);
    return plc;
  }

  #quiet(): undefined {
    this.#silent = true;
    this.#concealer.quiet();
    return undefined;
  }

  close(): void {
    this.#decoder?.close();
    this.#decoder = undefined;
  }
}
