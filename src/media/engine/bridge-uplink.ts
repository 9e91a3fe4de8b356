/**
 * What a call sends to the bridge: the caller's 20 ms PCM frames (8 or 16 kHz) encoded as Opus at
 * that rate, as RTP with the SSRC we announced, the negotiated payload type, the RFC 6464
 * audio-level extension measured on the caller's PCM and the sdes:mid extension when negotiated
 * (one-byte header form, which both fit).
 *
 * A packet goes out every tick of speech while the bridge is connected:
 *  - speech: the frame is Opus-encoded (complexity and FEC from the engine's options);
 *  - silence (the VAD gate is closed), moderator mute, or no audio from the caller (hold, not
 *    latched yet): a pre-encoded Opus silence frame with level 127 and V=0. That is what a muted
 *    browser sends; the JVB drops level-127 packets before forwarding, and we skip the encoder,
 *    which is most of a call's CPU. As with Opus DTX, only one silence frame in
 *    `silenceIntervalTicks` goes out (the first one at once, so the bridge sees the talk-spurt
 *    end): in a town hall most callers are silent, and each packet costs SRTP and a send.
 * The marker bit starts each talk-spurt (first speech packet after silence or a gap), the RTP
 * timestamp advances 960 per tick and jumps over missed ticks so that it follows real time.
 *
 * Steady state allocates only what libopus' binding returns from encode (one small Buffer), which
 * goes into the packet as it is.
 */
import { randomInt } from 'node:crypto';
import { LevelMeter } from '../audio/level.js';
import { OpusCodec, type OpusPcmRate } from '../codecs/opus.js';
import { AUDIO_LEVEL_SILENT, writeAudioLevel, writeMid } from '../rtp/header-extensions.js';
import { writeRtp, type RtpHeaderExtensionElement, type RtpPacketInit } from '../rtp/packet.js';

export interface UplinkFormat {
  payloadType: number;
  audioLevelExtId: number | undefined;
  midExtId: number | undefined;
  /** The content name, sent as the mid value. */
  mid: string;
}

export interface UplinkOptions {
  ssrc: number;
  complexity: number;
  /** In-band FEC in what is sent. */
  inbandFec: boolean;
  /**
   * Frames the VAD calls silence are sent as pre-encoded silence instead of being encoded.
   * The VAD opens at `gateLevel` (-dBov) or louder and stays open for `gateHangoverFrames`.
   */
  silenceGate: boolean;
  gateLevel: number;
  gateHangoverFrames: number;
  /** While silent, one frame in this many ticks is sent (20: every 400 ms, as Opus DTX; 1: all). */
  silenceIntervalTicks: number;
}

export interface UplinkCounters {
  packets: number;
  bytes: number;
  encoded: number;
  /** Pre-encoded silence frames sent (gate closed, muted, or no caller audio). */
  silence: number;
  /** Silence frames not sent (between two of the silence frames that are, see silenceIntervalTicks). */
  silenceHeld: number;
  /** Ticks where nothing could be sent (not connected). */
  notSent: number;
}

/** Where packets go: BridgeTransport.sendRtp (false when not connected). */
export type UplinkSend = (packet: Buffer) => boolean;

const RTP_STEP = 960;
const FRAME_MS = 20;
const GAP_MS = 3 * FRAME_MS;
const MAX_PACKET = 1500;

let silencePacket: Buffer | undefined;

/** An Opus frame of digital silence (any Opus decoder accepts it whatever our encoder's state). */
export function opusSilenceFrame(): Buffer {
  if (silencePacket === undefined) {
    const codec = new OpusCodec({ sampleRate: 8000 });
    const zeros = new Int16Array(codec.frameSamples);
    let packet = codec.encode(zeros);
    // The first frames carry the encoder's start-up; a later one is the steady silence frame.
    for (let i = 0; i < 4; i++) packet = codec.encode(zeros);
    codec.close();
    silencePacket = Buffer.from(packet);
  }
  return silencePacket;
}

export class BridgeUplink {
  readonly ssrc: number;
  readonly counters: UplinkCounters = { packets: 0, bytes: 0, encoded: 0, silence: 0, silenceHeld: 0, notSent: 0 };
  readonly #options: UplinkOptions;
  readonly #meter: LevelMeter;
  readonly #silence = opusSilenceFrame();
  readonly #out = Buffer.alloc(MAX_PACKET);
  readonly #levelExt: RtpHeaderExtensionElement = { id: 1, data: new Uint8Array(1) };
  readonly #init: RtpPacketInit;
  #format: UplinkFormat | undefined;
  #encoder: OpusCodec | undefined;
  #seq = randomInt(0, 0x10000);
  #ts = randomInt(0, 0x100000000);
  #lastTickMs = -1;
  #inSpurt = false;
  /** Silent ticks to go before the next silence frame is sent. */
  #silenceWait = 0;
  /** RTP timestamp and monotonic time of the last packet, for RTCP sender reports. */
  lastRtpTimestamp = 0;
  lastSendMs = -1;

  constructor(options: UplinkOptions) {
    this.ssrc = options.ssrc;
    this.#options = options;
    this.#meter = new LevelMeter({ thresholdLevel: options.gateLevel, hangoverFrames: options.gateHangoverFrames });
    this.#init = { payloadType: 111, sequenceNumber: 0, timestamp: 0, ssrc: options.ssrc, marker: false, payload: EMPTY_PAYLOAD };
  }

  /** The negotiated payload type and extension ids (from the Jingle session). */
  setFormat(format: UplinkFormat): void {
    this.#format = format;
    this.#init.payloadType = format.payloadType;
    const exts: RtpHeaderExtensionElement[] = [];
    if (format.audioLevelExtId !== undefined) {
      this.#levelExt.id = format.audioLevelExtId;
      exts.push(this.#levelExt);
    }
    if (format.midExtId !== undefined) exts.push(writeMid(format.mid, format.midExtId));
    this.#init.extensions = exts.length > 0 ? exts : undefined;
    this.#init.extensionForm = 'one-byte';
    // A new session (resume) is a new stream for the bridge: start a talk-spurt.
    this.#inSpurt = false;
    this.#silenceWait = 0;
  }

  get configured(): boolean {
    return this.#format !== undefined;
  }

  /**
   * One tick. `pcm` is the caller's frame (8 or 16 kHz) or undefined; `muted` is the moderator
   * mute. Returns whether the frame was sent as speech.
   */
  tick(pcm: Int16Array | undefined, muted: boolean, nowMs: number, send: UplinkSend): boolean {
    if (this.#lastTickMs >= 0 && nowMs - this.#lastTickMs > GAP_MS) {
      this.#ts = (this.#ts + (Math.round((nowMs - this.#lastTickMs) / FRAME_MS) - 1) * RTP_STEP) >>> 0;
      this.#inSpurt = false;
    }
    this.#lastTickMs = nowMs;
    const ts = this.#ts;
    this.#ts = (ts + RTP_STEP) >>> 0;
    if (this.#format === undefined) return false;

    let speech = false;
    let level: number = AUDIO_LEVEL_SILENT;
    let voice = false;
    if (pcm !== undefined && !muted) {
      this.#meter.measure(pcm);
      level = this.#meter.level;
      voice = this.#meter.voice;
      speech = voice || !this.#options.silenceGate;
    } else {
      this.#meter.measure(EMPTY);
    }
    if (speech) {
      this.#silenceWait = 0;
    } else if (this.#silenceWait > 0) {
      this.#silenceWait--;
      this.counters.silenceHeld++;
      return false;
    } else {
      this.#silenceWait = this.#options.silenceIntervalTicks - 1;
    }
    let payload: Buffer;
    if (speech) {
      // The binding returns a fresh Buffer anyway: use it rather than copy it into ours.
      payload = this.#encoderFor(pcm!.length * 50).encode(pcm!);
    } else {
      payload = this.#silence;
      level = AUDIO_LEVEL_SILENT;
      voice = false;
    }
    writeAudioLevel(level, voice, this.#levelExt.id, this.#levelExt);
    const init = this.#init;
    init.sequenceNumber = this.#seq;
    init.timestamp = ts;
    init.marker = speech && !this.#inSpurt;
    init.payload = payload;
    const length = writeRtp(init, this.#out, 0);
    if (!send(this.#out.subarray(0, length))) {
      this.counters.notSent++;
      this.#inSpurt = false;
      this.#silenceWait = 0;
      return false;
    }
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#inSpurt = speech;
    this.lastRtpTimestamp = ts;
    this.lastSendMs = nowMs;
    const c = this.counters;
    c.packets++;
    c.bytes += length;
    if (speech) c.encoded++;
    else c.silence++;
    return speech;
  }

  close(): void {
    this.#encoder?.close();
    this.#encoder = undefined;
  }

  #encoderFor(rate: number): OpusCodec {
    const enc = this.#encoder;
    if (enc !== undefined && enc.sampleRate === rate) return enc;
    enc?.close();
    const fresh = new OpusCodec({
      sampleRate: rate as OpusPcmRate,
      complexity: this.#options.complexity,
      inbandFec: this.#options.inbandFec,
    });
    this.#encoder = fresh;
    return fresh;
  }
}

const EMPTY = new Int16Array(0);
const EMPTY_PAYLOAD = new Uint8Array(0);
