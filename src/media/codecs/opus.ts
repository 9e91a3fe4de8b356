/**
 * Opus through libopus (@discordjs/opus). The encoder is fed 8 or 16 kHz mono PCM directly and the
 * decoder decodes straight to 8 or 16 kHz mono: libopus resamples internally, so the media engine
 * needs no resampler. Whatever the PCM rate, the RTP clock of Opus is 48000 (RFC 7587), so each
 * 20 ms frame advances the RTP timestamp by 960.
 *
 * What the binding allows, and what it does not:
 *  - encoder settings go through applyEncoderCTL with libopus request numbers (below);
 *  - decode() always calls opus_decode with decode_fec = 0, so in-band FEC cannot be *decoded*
 *    here: we still *send* FEC (the bridge and browsers use it), but a lost incoming packet is
 *    concealed by libopus' PLC only;
 *  - decoding an empty buffer runs PLC for the binding's maximum frame (120 ms), which would push
 *    the decoder 120 ms ahead. A one-byte packet (just a TOC byte, code 0, zero-length frame) makes
 *    libopus run PLC for exactly that TOC's frame duration instead, so decodeMissing() sends the TOC
 *    of the last good packet rewritten to a 20 ms frame size;
 *  - encode()/decode() return new Buffers: one small allocation per call that we cannot avoid
 *    (encode() without `out` hands that Buffer over instead of copying it).
 */
import { createRequire } from 'node:module';
import { CodecError, FRAME_MS, bytesView, pcmView, requireCapacity, type AudioCodec } from './codec.js';

/** libopus CTL request numbers and values (opus_defines.h). */
const OPUS_SET_APPLICATION = 4000;
const OPUS_SET_VBR = 4006;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const OPUS_SET_SIGNAL = 4024;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SIGNAL_VOICE = 3001;

/** The part of @discordjs/opus' native class that we use. */
interface NativeOpus {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
  setBitrate(bitrate: number): void;
  getBitrate(): number;
}

type NativeOpusConstructor = new (rate: number, channels: number) => NativeOpus;

let nativeCtor: NativeOpusConstructor | undefined;

/** Loads the native module on first use, so importing this file costs nothing when Opus is unused. */
function loadNative(): NativeOpusConstructor {
  if (!nativeCtor) {
    const require = createRequire(import.meta.url);
    const mod: unknown = require('@discordjs/opus');
    const ctor = (mod as { OpusEncoder?: unknown }).OpusEncoder;
    if (typeof ctor !== 'function') throw new Error('@discordjs/opus does not export OpusEncoder');
    nativeCtor = ctor as NativeOpusConstructor;
  }
  return nativeCtor;
}

export type OpusPcmRate = 8000 | 16000;

export interface OpusCodecOptions {
  /** PCM rate of both directions. */
  sampleRate: OpusPcmRate;
  /** 0-10; 5 halves the CPU of the default 10 at a small quality cost for voice. */
  complexity?: number;
  /** Target bit rate; defaults to 24 kbit/s at 8 kHz and 32 kbit/s at 16 kHz. */
  bitrate?: number;
  /** In-band FEC in what we send (default on). */
  inbandFec?: boolean;
  /** The loss the encoder plans FEC for (default 10). */
  expectedPacketLossPercent?: number;
  /** Discontinuous transmission (default off: Jitsi expects a steady 20 ms stream). */
  dtx?: boolean;
}

/** Rewrites a TOC byte to a single 20 ms frame in the same mode and bandwidth. */
export function toc20ms(toc: number): number {
  const config = toc >> 3;
  let config20: number;
  if (config < 12) config20 = (config & ~3) | 1; // SILK-only: 10/20/40/60 ms
  else if (config < 16) config20 = (config & ~1) | 1; // hybrid: 10/20 ms
  else config20 = (config & ~3) | 3; // CELT-only: 2.5/5/10/20 ms
  return (config20 << 3) | (toc & 0x04); // keep the stereo flag, frame count code 0
}

/** Opus encoder + decoder for one direction pair of one call. */
export class OpusCodec implements AudioCodec {
  readonly name = 'opus' as const;
  readonly sampleRate: OpusPcmRate;
  readonly rtpClockRate = 48000;
  readonly frameSamples: number;
  readonly timestampStep = (48000 * FRAME_MS) / 1000;
  readonly #enc: NativeOpus;
  readonly #dec: NativeOpus;
  readonly #plcPacket = Buffer.alloc(1);
  #haveToc = false;
  #pcmView: Buffer | undefined;
  #pcmViewOf: Int16Array | undefined;
  #outBytes: Uint8Array | undefined;
  #outBytesOf: Int16Array | undefined;
  #closed = false;

  constructor(options: OpusCodecOptions) {
    const Native = loadNative();
    this.sampleRate = options.sampleRate;
    if (this.sampleRate !== 8000 && this.sampleRate !== 16000) throw new RangeError('Opus PCM rate must be 8000 or 16000');
    this.frameSamples = (this.sampleRate * FRAME_MS) / 1000;
    // The binding keeps one encoder and one decoder per object, created lazily; two objects keep
    // each direction's native state separate and make close() simple.
    this.#enc = new Native(this.sampleRate, 1);
    this.#dec = new Native(this.sampleRate, 1);
    // Must precede the first encode: libopus refuses to change the application afterwards.
    this.#enc.applyEncoderCTL(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    this.#enc.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    this.#enc.applyEncoderCTL(OPUS_SET_COMPLEXITY, options.complexity ?? 5);
    this.#enc.applyEncoderCTL(OPUS_SET_VBR, 1);
    this.#enc.applyEncoderCTL(OPUS_SET_INBAND_FEC, options.inbandFec === false ? 0 : 1);
    this.#enc.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, options.expectedPacketLossPercent ?? 10);
    this.#enc.applyEncoderCTL(OPUS_SET_DTX, options.dtx ? 1 : 0);
    this.#enc.setBitrate(options.bitrate ?? (this.sampleRate === 8000 ? 24000 : 32000));
  }

  get bitrate(): number {
    return this.#enc.getBitrate();
  }

  encode(pcm: Int16Array, out?: Buffer): Buffer {
    this.#checkOpen();
    if (pcm.length !== this.frameSamples) {
      throw new RangeError(`Opus encodes ${this.frameSamples}-sample frames, got ${pcm.length}`);
    }
    const packet = this.#enc.encode(this.#asBuffer(pcm));
    if (!out) return packet;
    requireCapacity(out.length, packet.length, 'payload');
    packet.copy(out, 0);
    return bytesView(out, packet.length);
  }

  /**
   * Decodes one packet; `out` must hold the packet's whole duration (usually 20 ms, at most 120 ms).
   * Corrupt packets throw CodecError: treat them like a lost packet.
   */
  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    this.#checkOpen();
    if (payload.length === 0) return this.decodeMissing(out);
    const input = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    let pcmBytes: Buffer;
    try {
      pcmBytes = this.#dec.decode(input);
    } catch (err) {
      throw new CodecError(`Opus decode failed: ${err instanceof Error ? err.message : String(err)}`, 'opus');
    }
    this.#plcPacket[0] = toc20ms(payload[0]!);
    this.#haveToc = true;
    return this.#copyPcm(pcmBytes, out);
  }

  /** One 20 ms frame of libopus concealment (silence before the first packet). */
  decodeMissing(out?: Int16Array): Int16Array {
    this.#checkOpen();
    const target = out ?? new Int16Array(this.frameSamples);
    requireCapacity(target.length, this.frameSamples, 'PCM');
    if (!this.#haveToc) {
      target.fill(0, 0, this.frameSamples);
      return pcmView(target, this.frameSamples);
    }
    const pcmBytes = this.#dec.decode(this.#plcPacket);
    const result = this.#copyPcm(pcmBytes, target);
    if (result.length < this.frameSamples) {
      target.fill(0, result.length, this.frameSamples);
      return pcmView(target, this.frameSamples);
    }
    return result;
  }

  /** Drops the native objects' references; further use throws. */
  close(): void {
    this.#closed = true;
    this.#pcmView = undefined;
    this.#pcmViewOf = undefined;
    this.#outBytes = undefined;
    this.#outBytesOf = undefined;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('Opus codec is closed');
  }

  /** A Buffer over the Int16Array's memory, cached because callers reuse their frame buffers. */
  #asBuffer(pcm: Int16Array): Buffer {
    if (this.#pcmViewOf !== pcm || !this.#pcmView) {
      this.#pcmView = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
      this.#pcmViewOf = pcm;
    }
    return this.#pcmView;
  }

  #copyPcm(bytes: Buffer, out?: Int16Array): Int16Array {
    const n = bytes.length >> 1;
    if (!out) {
      const fresh = new Int16Array(n);
      bytes.copy(new Uint8Array(fresh.buffer), 0, 0, n * 2);
      return fresh;
    }
    requireCapacity(out.length, n, 'PCM');
    bytes.copy(this.#bytesOf(out), 0, 0, n * 2);
    return pcmView(out, n);
  }

  /** A byte view of `out`, cached because callers reuse their frame buffers. */
  #bytesOf(out: Int16Array): Uint8Array {
    if (this.#outBytesOf !== out || !this.#outBytes) {
      this.#outBytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      this.#outBytesOf = out;
    }
    return this.#outBytes;
  }
}
