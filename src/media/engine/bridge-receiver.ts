/**
 * What one call's transport receives from the bridge: RTP is classified (the negotiated Opus or
 * telephone-event payload type), counted per SSRC for our RTCP reports, handed to the room's
 * shared jitter buffers with its RFC 6464 level, and RFC 4733 digits are reported; RTCP sender
 * reports are kept for LSR/DLSR. It also keeps the time of the last media for the bridge media
 * timeout, checked on the engine's clock rather than by a timer per call.
 *
 * prefilter() sees packets before SRTP decryption and takes in those whose payload the room
 * would not use (silent by their level, a local caller's echo, or a copy of a packet that another
 * call's transport already delivered) exactly as rtp() would, with an empty payload: the stream's
 * sequence, the reception counts and the media timeout all move on.
 */
import { performance } from 'node:perf_hooks';
import type { NegotiatedAudio } from '../media-vocabulary.js';
import { AUDIO_LEVEL_SILENT, findAudioLevelByte } from '../rtp/header-extensions.js';
import { rtpPayloadType } from '../bridge/packet-demux.js';
import { createRtpPacketView, tryParseRtp, tryParseRtpHeader, type RtpPacketView } from '../rtp/packet.js';
import type { ReportBlock } from '../rtp/rtcp.js';
import { BridgeRemoteEvents } from './bridge-remote-events.js';
import { ReceptionTracker } from '../rtp/rtcp-reports.js';
import { PAYLOAD_AUDIO, PAYLOAD_EVENT } from './remote-stream.js';
import type { RoomMedia } from './room-media.js';

export interface BridgeReceiverCounters {
  digits: number;
  malformed: number;
  unknownPayloadType: number;
}

const NO_PAYLOAD = new Uint8Array(0);

export class BridgeReceiver {
  /** The negotiated formats; packets are dropped until set. */
  audio: NegotiatedAudio | undefined;
  /** Where audio goes; undefined outside a room. */
  room: RoomMedia | undefined;
  readonly #reception = new ReceptionTracker();
  readonly #events: BridgeRemoteEvents;
  readonly #view = createRtpPacketView();
  #lastMediaMs = 0;
  #timedOut = false;
  #malformed = 0;
  #unknownPt = 0;

  constructor(onDigit: (digit: string) => void) {
    this.#events = new BridgeRemoteEvents(onDigit);
  }

  get counters(): BridgeReceiverCounters {
    return { digits: this.#events.digits, malformed: this.#malformed, unknownPayloadType: this.#unknownPt };
  }

  /** Packets lost on the way from the bridge, over every SSRC. */
  get lost(): number {
    return this.#reception.totals().lost;
  }

  /** The largest interarrival jitter (ms) among the streams the bridge still sends. */
  get jitterMs(): number {
    return this.#reception.totals().jitterMs;
  }

  rtp(packet: Buffer): void {
    const audio = this.audio;
    const view = tryParseRtp(packet, this.#view);
    if (view === undefined || audio === undefined) {
      this.#malformed++;
      return;
    }
    this.#accept(view, audio);
  }

  /**
   * A still-encrypted packet: false when it was taken in from its header alone (its payload
   * would be thrown away unplayed), true when it must be decrypted and go through rtp().
   * Telephone events always go through rtp().
   */
  prefilter(packet: Buffer): boolean {
    const audio = this.audio;
    const room = this.room;
    if (audio === undefined || room === undefined) return true;
    if (rtpPayloadType(packet) !== audio.opusPt) return true;
    // The payload and padding are still ciphertext; only the header fields are used below.
    const view = tryParseRtpHeader(packet, this.#view);
    if (view === undefined) return true;
    const levelId = audio.audioLevelExtId;
    const byte = levelId === undefined ? -1 : findAudioLevelByte(view, levelId);
    if (room.needsPayload(view.ssrc, view.sequenceNumber, byte < 0 ? -1 : byte & AUDIO_LEVEL_SILENT)) return true;
    view.payload = NO_PAYLOAD;
    this.#accept(view, audio);
    return false;
  }

  #accept(view: RtpPacketView, audio: NegotiatedAudio): void {
    const now = performance.now();
    this.#media(now);
    const pt = view.payloadType;
    let kind: number;
    if (pt === audio.opusPt) {
      kind = PAYLOAD_AUDIO;
    } else if (pt === audio.telephoneEventPt) {
      kind = PAYLOAD_EVENT;
      this.#events.receive(view.ssrc, view.payload, view.timestamp);
    } else {
      this.#unknownPt++;
      return;
    }
    this.#reception.onRtp(view.ssrc, view.sequenceNumber, view.timestamp, kind === PAYLOAD_AUDIO, now);
    const levelId = audio.audioLevelExtId;
    const byte = levelId === undefined ? -1 : findAudioLevelByte(view, levelId);
    this.room?.receive(view, kind, byte < 0 ? -1 : byte & AUDIO_LEVEL_SILENT, now);
  }

  rtcp(packet: Buffer): void {
    const now = performance.now();
    this.#media(now);
    this.#reception.onRtcp(packet, now);
  }

  /** The transport (re)connected: the media timeout counts from now. */
  connected(nowMs: number): void {
    this.#media(nowMs);
  }

  /** True once, when no RTP or RTCP has come for `timeoutMs`; again only after media resumed. */
  timedOut(nowMs: number, timeoutMs: number): boolean {
    if (timeoutMs <= 0 || this.#timedOut || nowMs - this.#lastMediaMs < timeoutMs) return false;
    this.#timedOut = true;
    return true;
  }

  reportBlocks(nowMs: number): ReportBlock[] {
    return this.#reception.reportBlocks(nowMs);
  }

  /** A new session: forget the previous one's streams and digits. */
  reset(): void {
    this.#reception.clear();
    this.#events.clear();
    this.#timedOut = false;
  }

  #media(nowMs: number): void {
    this.#lastMediaMs = nowMs;
    this.#timedOut = false;
  }
}
