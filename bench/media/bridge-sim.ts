/**
 * Load-side conference for the benchmark: web speakers sending pre-encoded Opus (the active one
 * with the burst cycle, the others silent at level 127) to every gateway transport of a room
 * through a FakeBridge each, and, as the JVB does, forwarding what the gateway sends on one
 * transport to the room's other transports unless its level is 127.
 *
 * Scenario A's silent speakers still send their level-127 frames (the worst case for the
 * gateway); in B and C they send nothing, as behind a real JVB, which drops silence before
 * forwarding. In C the speakers take turns: one talks at a time, for `turnFrames` each.
 */
import { findAudioLevelByte } from '../../src/media/rtp/header-extensions.js';
import { createRtpPacketView, serializeRtp, tryParseRtp } from '../../src/media/rtp/packet.js';
import { FakeBridge } from '../../test/support/fake-bridge.js';
import { BURST_LEVEL, CYCLE_FRAMES, type SpeakerFrame } from './signals.js';

/**
 * What the bridge received of the gateway's stream over a window. The gateway sends silence as
 * Opus DTX does (one frame in twenty), so frames are counted by sequence number, plus the ticks
 * missing between two consecutive speech packets (an engine that skipped ticks while talking).
 */
export interface BridgeStreamWindow {
  received: number;
  firstSeq: number;
  lastSeq: number;
  lastTs: number;
  lastSpeech: boolean;
  skippedTicks: number;
}

export function newBridgeWindow(): BridgeStreamWindow {
  return { received: 0, firstSeq: -1, lastSeq: -1, lastTs: 0, lastSpeech: false, skippedTicks: 0 };
}

/** Packets the bridge should have received over the window. */
export function expectedPackets(w: BridgeStreamWindow): number {
  if (w.firstSeq < 0) return 0;
  return w.lastSeq - w.firstSeq + 1 + w.skippedTicks;
}

const LEVEL_ID = 1;
const QUIET_BEFORE_ONSET = 10;

interface Speaker {
  ssrc: number;
  owner: string;
  seq: number;
  ts: number;
  index: number;
  /** The last frame was not sent: the next one starts a talk-spurt (marker bit). */
  gap: boolean;
}

export interface RoomSimOptions {
  /** Web speakers in the room (one of them talks at a time). */
  speakers: number;
  /** Whether the silent speakers' level-127 frames reach the gateway. */
  sendSilence: boolean;
  /** Frames each speaker talks before the next takes over; undefined: the first talks always. */
  turnFrames?: number;
}

/** One gateway transport as the bridge sees it. */
export class BridgeEndpointSim {
  readonly bridge: FakeBridge;
  window: BridgeStreamWindow = newBridgeWindow();
  readonly latencies: number[] = [];
  /** When the phone of this call last sent its burst (for caller → bridge latency). */
  nearBurstSentMs: () => number = () => -1;
  #quietRun = 0;
  readonly #view = createRtpPacketView();

  constructor(bridge: FakeBridge, onGateway: (from: BridgeEndpointSim, packet: Buffer, level: number) => void) {
    this.bridge = bridge;
    bridge.on('rtp', (packet) => {
      const view = tryParseRtp(packet, this.#view);
      if (view === undefined) return;
      const byte = findAudioLevelByte(view, LEVEL_ID);
      const level = byte < 0 ? 127 : byte & 0x7f;
      this.#count(view.sequenceNumber, view.timestamp, level !== 127);
      this.#detect(level);
      onGateway(this, packet, level);
    });
  }

  #count(seq: number, ts: number, speech: boolean): void {
    const w = this.window;
    if (w.firstSeq < 0) {
      w.firstSeq = seq;
      w.lastSeq = seq;
    } else {
      // Extended sequence numbers; the gateway never reorders its own packets by much.
      const d = (seq - (w.lastSeq & 0xffff) + 0x10000) & 0xffff;
      if (d < 0x8000) w.lastSeq += d;
      if (speech && w.lastSpeech) w.skippedTicks += Math.max(0, Math.round(((ts - w.lastTs) >>> 0) / 960) - 1);
    }
    w.lastTs = ts;
    w.lastSpeech = speech;
    w.received++;
  }

  #detect(level: number): void {
    if (level > BURST_LEVEL) {
      this.#quietRun++;
      return;
    }
    if (this.#quietRun >= QUIET_BEFORE_ONSET) {
      const sent = this.nearBurstSentMs();
      const latency = performance.now() - sent;
      if (sent >= 0 && latency > 0 && latency < 900) this.latencies.push(latency);
    }
    this.#quietRun = 0;
  }

  send(packet: Buffer): void {
    if (this.bridge.srtpProfile !== undefined && this.bridge.peer !== undefined) this.bridge.sendRtp(packet);
  }
}

export class RoomSim {
  readonly endpoints: BridgeEndpointSim[] = [];
  readonly #speakers: Speaker[];
  readonly #active: SpeakerFrame[];
  readonly #silent: SpeakerFrame;
  readonly #options: RoomSimOptions;
  #frame = 0;
  /** When the active speaker last sent its burst. */
  lastBurstSentMs = -1;
  forwarded = 0;

  constructor(active: SpeakerFrame[], silent: SpeakerFrame, options: RoomSimOptions, ssrcBase: number) {
    this.#active = active;
    this.#silent = silent;
    this.#options = options;
    this.#speakers = Array.from({ length: options.speakers }, (_, i) => ({
      ssrc: ssrcBase + i,
      owner: i === 0 ? 'web-active' : `web-${i}`,
      seq: 1,
      ts: 0,
      index: 0,
      gap: false,
    }));
  }

  sources(): Array<{ ssrc: number; owner: string }> {
    return this.#speakers.map((s) => ({ ssrc: s.ssrc, owner: s.owner }));
  }

  async addEndpoint(): Promise<BridgeEndpointSim> {
    const bridge = await FakeBridge.create();
    const ep = new BridgeEndpointSim(bridge, (from, packet, level) => this.#forward(from, packet, level));
    this.endpoints.push(ep);
    return ep;
  }

  /** One 20 ms frame from every speaker to every endpoint. */
  sendSpeakers(nowMs: number): void {
    const turn = this.#options.turnFrames;
    const talking = turn === undefined ? 0 : Math.floor(this.#frame / turn) % this.#speakers.length;
    const turnStarts = turn !== undefined && this.#frame % turn === 0;
    this.#frame++;
    for (let i = 0; i < this.#speakers.length; i++) {
      const s = this.#speakers[i]!;
      const seq = s.seq;
      const ts = s.ts;
      s.seq = (seq + 1) & 0xffff;
      s.ts = (ts + 960) >>> 0;
      let frame: SpeakerFrame;
      if (i === talking) {
        if (turnStarts) s.index = 0;
        frame = this.#active[s.index]!;
        if (s.index === 0) this.lastBurstSentMs = nowMs;
        s.index = (s.index + 1) % Math.min(CYCLE_FRAMES, this.#active.length);
      } else if (this.#options.sendSilence) {
        frame = this.#silent;
      } else {
        s.gap = true;
        continue;
      }
      const packet = serializeRtp({
        payloadType: 111,
        sequenceNumber: seq,
        timestamp: ts,
        ssrc: s.ssrc,
        marker: s.gap,
        payload: frame.payload,
        extensions: [{ id: LEVEL_ID, data: Uint8Array.of(frame.level) }],
      });
      s.gap = false;
      for (const ep of this.endpoints) ep.send(packet);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.endpoints.map((e) => e.bridge.close()));
  }

  #forward(from: BridgeEndpointSim, packet: Buffer, level: number): void {
    if (this.endpoints.length < 2 || level === 127) return;
    for (const ep of this.endpoints) {
      if (ep === from) continue;
      ep.send(packet);
      this.forwarded++;
    }
  }
}
