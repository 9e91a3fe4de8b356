/**
 * The media of one conference room on this gateway: the remote speakers' streams, decoded once
 * for the whole room, and the mix-minus toward each phone caller in the room.
 *
 * Every call has its own bridge transport (each phone caller is its own JVB participant), so a
 * web speaker's packets arrive once per call; they all go into the room's one jitter buffer for
 * that SSRC, where copies are dropped by sequence number. jigasi decodes N×N; this decodes N.
 *
 * Callers of the same room are mixed locally: each caller's PCM enters the mixer under its own
 * source, so the others hear it without the round trip through the bridge and an Opus decode,
 * and the bridge's copies of a local caller's SSRC (which the JVB forwards to the other callers'
 * transports) are dropped on arrival. Each caller hears the mix minus its own source: it never
 * hears itself, whichever transport its audio came back on.
 *
 * Remote streams are decoded at 16 kHz when any caller of the room is wideband, else at 8 kHz;
 * MultiRateRoomMixer then hands each caller the mix at its own rate with one resampling per room.
 */
import type { Logger } from '../../log.js';
import type { OpusPcmRate } from '../codecs/opus.js';
import { MultiRateRoomMixer, type MixRate } from '../mixer/multi-rate-mixer.js';
import type { RtpPacketView } from '../rtp/packet.js';
import { RemoteStream, type RemoteJitterOptions, type RemoteStreamCounters } from './remote-stream.js';

/** What the room needs from a call that joined it. */
export interface RoomMember {
  /** The SSRC the call announced to the bridge. */
  readonly ssrc: number;
  /** PCM rate of the caller's codec; 0 until the caller's SDP is negotiated. */
  readonly callerRate: number;
  /**
   * Pulls the caller's frame for this tick and sends it toward the bridge; returns it when the
   * room should hear it (undefined: no audio, or muted).
   */
  uplink(nowMs: number): Int16Array | undefined;
  /** Drops `frames` of the caller's buffered audio (ticks lost to a stall). */
  discardCallerFrames(frames: number): void;
  /** This tick's mix for the caller; only valid during the call. */
  downlink(mix: Int16Array): void;
}

export interface RoomOptions {
  jitter: RemoteJitterOptions;
  skipDecodeLevel: number;
  /** A stream silent this long is dropped (its decoder freed). */
  idleStreamMs: number;
  logger: Logger;
}

export interface RemoteStreamStats extends RemoteStreamCounters {
  ssrc: number;
  owner: string | undefined;
  jitterMs: number;
  /** Jitter buffer depth and target now. */
  depthMs: number;
  targetMs: number;
  /** Frames never received in time (concealed or played as silence), and packets too late. */
  lost: number;
  late: number;
}

export interface RoomStats {
  jid: string;
  decodeRate: OpusPcmRate;
  members: number;
  streams: RemoteStreamStats[];
  /** Copies of a local caller's own audio forwarded back by the bridge, dropped. */
  localEchoDropped: number;
}

interface MemberSlot {
  readonly member: RoomMember;
  readonly key: string;
  readonly out: Record<MixRate, Int16Array>;
  /** Rate the member's own source was last mixed at (0: not yet). */
  mixRate: number;
}

const HOUSEKEEPING_TICKS = 50;

export class RoomMedia {
  readonly jid: string;
  readonly #options: RoomOptions;
  readonly #log: Logger;
  readonly #mixer = new MultiRateRoomMixer();
  readonly #streams = new Map<number, RemoteStream>();
  /** Same streams as an array: the tick iterates it without an iterator object. */
  #streamList: RemoteStream[] = [];
  #members: MemberSlot[] = [];
  readonly #localSsrcs = new Set<number>();
  readonly #owners = new Map<number, string | undefined>();
  #rate: OpusPcmRate = 8000;
  #ticks = 0;
  #localEchoDropped = 0;

  constructor(jid: string, options: RoomOptions) {
    this.jid = jid;
    this.#options = options;
    this.#log = options.logger.child({ room: jid });
  }

  get memberCount(): number {
    return this.#members.length;
  }

  get decodeRate(): OpusPcmRate {
    return this.#rate;
  }

  join(member: RoomMember): void {
    if (this.#members.some((s) => s.member === member)) return;
    this.#members = [
      ...this.#members,
      { member, key: `c${member.ssrc}`, out: { 8000: new Int16Array(160), 16000: new Int16Array(320) }, mixRate: 0 },
    ];
    this.#localSsrcs.add(member.ssrc);
    // The caller may have been heard through the bridge before it joined here.
    this.#dropStream(member.ssrc);
  }

  /** Removes a member; returns how many remain. */
  leave(member: RoomMember): number {
    const slot = this.#members.find((s) => s.member === member);
    if (slot === undefined) return this.#members.length;
    this.#members = this.#members.filter((s) => s !== slot);
    this.#localSsrcs.delete(member.ssrc);
    this.#mixer.removeSource(slot.key);
    return this.#members.length;
  }

  /** Owners of the remote SSRCs, from Jingle sources (for stats and logs). */
  setOwners(sources: ReadonlyArray<{ ssrc: number; owner?: string | undefined }>): void {
    for (const s of sources) {
      this.#owners.set(s.ssrc, s.owner);
      const stream = this.#streams.get(s.ssrc);
      if (stream !== undefined) stream.owner = s.owner;
    }
  }

  /**
   * One packet from the bridge, already classified by the receiving call: `kind` is
   * PAYLOAD_AUDIO or PAYLOAD_EVENT, `level` the RFC 6464 level (-1 when absent).
   */
  receive(view: RtpPacketView, kind: number, level: number, nowMs: number): void {
    const ssrc = view.ssrc;
    if (this.#localSsrcs.has(ssrc)) {
      this.#localEchoDropped++;
      return;
    }
    let stream = this.#streams.get(ssrc);
    if (stream === undefined) stream = this.#addStream(ssrc, nowMs);
    stream.push(view.sequenceNumber, view.timestamp, view.payload, nowMs, kind, view.marker, level);
  }

  /**
   * Whether the payload of packet `seq` of `ssrc` at `level` (RFC 6464, -1 when absent) could be
   * played: false for a local caller's echo (dropped by receive()), for silence (RemoteStream never
   * decodes it) and for a copy of a packet the stream already holds (in a room of N callers every
   * web speaker's packet arrives N times, once per call's transport). Such packets may be
   * received with an empty payload, and need not be decrypted at all.
   */
  needsPayload(ssrc: number, seq: number, level: number): boolean {
    if (this.#localSsrcs.has(ssrc)) return false;
    if (level >= this.#options.skipDecodeLevel) return false;
    const stream = this.#streams.get(ssrc);
    return stream === undefined || !stream.holds(seq);
  }

  tick(nowMs: number): void {
    const members = this.#members;
    this.#updateRate(members);
    const mixer = this.#mixer;
    mixer.clear();
    const rate = this.#rate;
    const streams = this.#streamList;
    for (let i = 0; i < streams.length; i++) {
      const s = streams[i]!;
      const pcm = s.playout();
      if (pcm !== undefined) mixer.setFrame(s.key, pcm, rate);
    }
    for (let i = 0; i < members.length; i++) {
      const slot = members[i]!;
      const callerRate = slot.member.callerRate;
      if (callerRate !== slot.mixRate) {
        // The caller's codec changed rate: its own source must be subtracted at the new one.
        mixer.removeSource(slot.key);
        slot.mixRate = callerRate;
      }
      const own = slot.member.uplink(nowMs);
      if (own !== undefined && (callerRate === 8000 || callerRate === 16000)) mixer.setFrame(slot.key, own, callerRate);
    }
    for (let i = 0; i < members.length; i++) {
      const slot = members[i]!;
      const r = slot.mixRate;
      if (r !== 8000 && r !== 16000) continue;
      slot.member.downlink(mixer.mixFor(slot.key, r, slot.out[r]));
    }
    if (++this.#ticks % HOUSEKEEPING_TICKS === 0) this.#dropIdleStreams(nowMs);
  }

  /** The clock dropped `periods` ticks: drop as many buffered frames of every input. */
  skipped(periods: number): void {
    for (const s of this.#streamList) s.discard(periods);
    for (const slot of this.#members) slot.member.discardCallerFrames(periods);
  }

  stats(): RoomStats {
    return {
      jid: this.jid,
      decodeRate: this.#rate,
      members: this.#members.length,
      streams: this.#streamList.map((s) => ({ ssrc: s.ssrc, owner: s.owner, ...s.reception(), ...s.counters })),
      localEchoDropped: this.#localEchoDropped,
    };
  }

  close(): void {
    for (const s of this.#streamList) s.close();
    this.#streams.clear();
    this.#streamList = [];
    this.#members = [];
    this.#localSsrcs.clear();
  }

  #updateRate(members: readonly MemberSlot[]): void {
    let rate: OpusPcmRate = 8000;
    for (let i = 0; i < members.length; i++) if (members[i]!.member.callerRate === 16000) rate = 16000;
    if (rate === this.#rate) return;
    this.#log.debug({ from: this.#rate, to: rate }, 'room decode rate changes');
    this.#rate = rate;
    for (const s of this.#streamList) {
      this.#mixer.removeSource(s.key);
      s.setRate(rate);
    }
  }

  #addStream(ssrc: number, nowMs: number): RemoteStream {
    const stream = new RemoteStream(ssrc, this.#rate, nowMs, this.#options.jitter, this.#options.skipDecodeLevel);
    stream.owner = this.#owners.get(ssrc);
    this.#streams.set(ssrc, stream);
    this.#streamList = [...this.#streamList, stream];
    this.#log.debug({ ssrc, owner: stream.owner }, 'new remote audio stream');
    return stream;
  }

  #dropStream(ssrc: number): void {
    const stream = this.#streams.get(ssrc);
    if (stream === undefined) return;
    stream.close();
    this.#mixer.removeSource(stream.key);
    this.#streams.delete(ssrc);
    this.#streamList = this.#streamList.filter((s) => s !== stream);
  }

  #dropIdleStreams(nowMs: number): void {
    const idleMs = this.#options.idleStreamMs;
    for (const s of this.#streamList) {
      if (nowMs - s.lastPacketMs > idleMs) {
        this.#log.debug({ ssrc: s.ssrc, owner: s.owner }, 'remote audio stream idle; dropped');
        this.#dropStream(s.ssrc);
      }
    }
  }
}
