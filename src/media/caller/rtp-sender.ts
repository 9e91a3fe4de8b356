/**
 * Packetizes what we send to the caller: one RTP packet per 20 ms tick, voice or RFC 4733.
 *
 * - SSRC, first sequence number and first timestamp are random (RFC 3550 §5.1).
 * - Timestamps advance by the codec's `timestampStep` per tick, i.e. at the RTP clock, which is
 *   not the PCM rate for G.722 (8000 vs 16 kHz) nor for Opus (48000).
 * - Ticks keep coming while nothing is sent (hold, no audio); the timestamp keeps advancing, and
 *   after such a gap, or a gap in the ticks themselves, the next voice packet carries the marker
 *   bit (start of a talkspurt), so the caller's jitter buffer re-syncs instead of stretching.
 * - While a telephone event is in progress its packets replace voice (RFC 4733 §2.5.1.3 lets the
 *   sender suppress audio; sending both makes some receivers detect the digit twice).
 *
 * Buffers are preallocated; G.711/G.722 packets go out without any allocation of ours.
 */
import { randomInt } from 'node:crypto';
import type { AudioCodec } from '../codecs/codec.js';
import { DtmfSender } from '../rtp/dtmf.js';
import { writeRtp, type RtpPacketInit } from '../rtp/packet.js';

/** Called with a packet in `buf[0..length)`; the buffer is reused a few packets later. */
export type RtpTransmit = (buf: Buffer, length: number) => void;

export interface SenderFormat {
  codec: AudioCodec;
  payloadType: number;
  /** Negotiated telephone-event payload type; no DTMF can be sent without one. */
  telephoneEventPt: number | undefined;
}

export interface SenderCounters {
  packets: number;
  bytes: number;
  dtmfPackets: number;
  /** Frames not sent because the direction forbids sending (hold) or nowhere to send yet. */
  suppressed: number;
}

const PACKET_BUFFERS = 4;
const MAX_PACKET = 1500;
const FRAME_MS = 20;
/** A pause in the ticks longer than this counts as a gap in the stream. */
const GAP_MS = 3 * FRAME_MS;

export class CallerRtpSender {
  readonly ssrc: number;
  readonly #transmit: RtpTransmit;
  readonly #buffers: Buffer[];
  readonly #payload = Buffer.alloc(MAX_PACKET);
  #fixedPayload: Buffer | undefined;
  readonly #init: RtpPacketInit;
  readonly #counters: SenderCounters = { packets: 0, bytes: 0, dtmfPackets: 0, suppressed: 0 };
  #format: SenderFormat;
  #dtmf: DtmfSender | undefined;
  #bufferIndex = 0;
  #seq: number;
  #nextTs: number;
  #lastTickMs = -1;
  #markerNext = true;
  #lastSentTs = 0;
  #lastSentMs = -1;

  constructor(format: SenderFormat, transmit: RtpTransmit, ssrc?: number) {
    this.ssrc = ssrc ?? randomInt(1, 0xffffffff);
    this.#transmit = transmit;
    this.#buffers = Array.from({ length: PACKET_BUFFERS }, () => Buffer.alloc(MAX_PACKET));
    this.#seq = randomInt(0, 0x10000);
    this.#nextTs = randomInt(0, 0xffffffff);
    this.#format = format;
    this.#dtmf = this.#makeDtmfSender(format);
    this.#init = { payloadType: format.payloadType, sequenceNumber: 0, timestamp: 0, ssrc: this.ssrc, marker: false, payload: this.#payload };
  }

  /**
   * A renegotiated format. SSRC and sequence continue (same stream), the next packet is marked;
   * digits still queued are kept when telephone-event survives the change.
   */
  setFormat(format: SenderFormat): void {
    const old = this.#format;
    this.#format = format;
    if (old.telephoneEventPt !== format.telephoneEventPt || old.codec.rtpClockRate !== format.codec.rtpClockRate) {
      this.#dtmf = this.#makeDtmfSender(format);
    }
    this.#markerNext = true;
  }

  get format(): SenderFormat {
    return this.#format;
  }

  get counters(): Readonly<SenderCounters> {
    return this.#counters;
  }

  /** RTP timestamp of the last packet sent, and the tick time it went at (-1 before any): for sender reports. */
  get lastSent(): { timestamp: number; atMs: number } {
    return { timestamp: this.#lastSentTs, atMs: this.#lastSentMs };
  }

  get canSendDtmf(): boolean {
    return this.#dtmf !== undefined;
  }

  /** True while digits are queued or an event is still being sent. */
  get dtmfBusy(): boolean {
    return this.#dtmf?.busy ?? false;
  }

  /** Queues digits for RFC 4733; returns false when telephone-event was not negotiated. */
  queueDtmf(digits: string, durationMs?: number): boolean {
    if (this.#dtmf === undefined) return false;
    this.#dtmf.enqueue(digits, durationMs);
    return true;
  }

  /**
   * One 20 ms tick. `pcm` is the frame to send (codec.frameSamples samples) or undefined when
   * there is no audio this tick; `canSend` is false on hold or with no destination.
   */
  tick(pcm: Int16Array | undefined, canSend: boolean, nowMs: number): void {
    const step = this.#format.codec.timestampStep;
    if (this.#lastTickMs >= 0 && nowMs - this.#lastTickMs > GAP_MS) {
      // Keep the RTP clock in step with real time across the pause.
      const skipped = Math.round((nowMs - this.#lastTickMs) / FRAME_MS) - 1;
      this.#nextTs = (this.#nextTs + skipped * step) >>> 0;
      this.#markerNext = true;
    }
    this.#lastTickMs = nowMs;
    const ts = this.#nextTs;
    this.#nextTs = (ts + step) >>> 0;

    const dtmf = this.#dtmf;
    if (!canSend) {
      this.#counters.suppressed++;
      this.#markerNext = true;
      if (dtmf !== undefined && dtmf.busy) {
        // Digits can't reach a caller who holds us; let an event in progress run out unsent.
        dtmf.clearQueue();
        dtmf.next(ts);
      }
      return;
    }
    if (dtmf !== undefined && dtmf.busy) {
      const p = dtmf.next(ts);
      if (p !== undefined) {
        this.#send(this.#format.telephoneEventPt!, p.timestamp, p.marker, p.payload);
        this.#counters.dtmfPackets++;
        return;
      }
    }
    if (pcm === undefined) {
      this.#markerNext = true;
      return;
    }
    const codec = this.#format.codec;
    if (pcm.length !== codec.frameSamples) {
      throw new RangeError(`${codec.name} sends ${codec.frameSamples}-sample frames, got ${pcm.length}`);
    }
    const payload = codec.encode(pcm, this.#payloadFor(codec));
    const marker = this.#markerNext;
    this.#markerNext = false;
    this.#send(this.#format.payloadType, ts, marker, payload);
  }

  #send(payloadType: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    const init = this.#init;
    init.payloadType = payloadType;
    init.sequenceNumber = this.#seq;
    init.timestamp = timestamp;
    init.marker = marker;
    init.payload = payload;
    this.#seq = (this.#seq + 1) & 0xffff;
    const buf = this.#buffers[this.#bufferIndex]!;
    this.#bufferIndex = (this.#bufferIndex + 1) % PACKET_BUFFERS;
    const length = writeRtp(init, buf, 0);
    this.#counters.packets++;
    this.#counters.bytes += length;
    this.#lastSentTs = timestamp;
    this.#lastSentMs = this.#lastTickMs;
    this.#transmit(buf, length);
  }

  /**
   * Encoder output buffer: exactly one frame's size for the fixed-rate codecs, so that their
   * encode() returns the buffer itself rather than a fresh view; the whole scratch for Opus.
   */
  #payloadFor(codec: AudioCodec): Buffer {
    let bytes: number;
    switch (codec.name) {
      case 'opus':
        return this.#payload;
      case 'G722':
        bytes = codec.frameSamples / 2;
        break;
      case 'L16':
        bytes = codec.frameSamples * 2;
        break;
      case 'PCMU':
      case 'PCMA':
        bytes = codec.frameSamples;
        break;
    }
    if (this.#fixedPayload?.length !== bytes) this.#fixedPayload = Buffer.alloc(bytes);
    return this.#fixedPayload;
  }

  #makeDtmfSender(format: SenderFormat): DtmfSender | undefined {
    if (format.telephoneEventPt === undefined) return undefined;
    return new DtmfSender({ clockRate: format.codec.rtpClockRate, packetIntervalMs: FRAME_MS });
  }
}
