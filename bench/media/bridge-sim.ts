/**
 * Load-side conference for the benchmark: web speakers sending pre-encoded Opus (one active with
 * the burst cycle, others silent at level 127) to every gateway transport of a room through a
 * FakeBridge each, and, as the JVB does, forwarding what the gateway sends on one transport to the
 * room's other transports unless its level is 127.
 */
import { findAudioLevelByte } from '../../src/media/rtp/header-extensions.js';
import { createRtpPacketView, serializeRtp, tryParseRtp } from '../../src/media/rtp/packet.js';
import { FakeBridge } from '../../test/support/fake-bridge.js';
import { BURST_LEVEL, CYCLE_FRAMES, type SpeakerFrame } from './signals.js';
import { newWindow, type StreamWindow } from './phone-sim.js';

const LEVEL_ID = 1;
const QUIET_BEFORE_ONSET = 10;

interface Speaker {
  ssrc: number;
  owner: string;
  frames: SpeakerFrame[];
  seq: number;
  ts: number;
  index: number;
}

/** One gateway transport as the bridge sees it. */
export class BridgeEndpointSim {
  readonly bridge: FakeBridge;
  window: StreamWindow = newWindow();
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
      const w = this.window;
      if (w.firstTs < 0) w.firstTs = view.timestamp;
      w.lastTs = view.timestamp;
      w.received++;
      const byte = findAudioLevelByte(view, LEVEL_ID);
      const level = byte < 0 ? 127 : byte & 0x7f;
      this.#detect(level);
      onGateway(this, packet, level);
    });
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
  /** When the active speaker last sent its burst. */
  lastBurstSentMs = -1;
  forwarded = 0;

  constructor(active: SpeakerFrame[], silent: SpeakerFrame, silentCount: number, ssrcBase: number) {
    this.#speakers = [
      { ssrc: ssrcBase, owner: 'web-active', frames: active, seq: 1, ts: 0, index: 0 },
      ...Array.from({ length: silentCount }, (_, i) => ({
        ssrc: ssrcBase + 1 + i,
        owner: `web-silent-${i}`,
        frames: [silent],
        seq: 1,
        ts: 0,
        index: 0,
      })),
    ];
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
    for (const s of this.#speakers) {
      const frame = s.frames[s.index]!;
      if (s === this.#speakers[0] && s.index === 0) this.lastBurstSentMs = nowMs;
      const packet = serializeRtp({
        payloadType: 111,
        sequenceNumber: s.seq,
        timestamp: s.ts,
        ssrc: s.ssrc,
        payload: frame.payload,
        extensions: [{ id: LEVEL_ID, data: Uint8Array.of(frame.level) }],
      });
      s.seq = (s.seq + 1) & 0xffff;
      s.ts = (s.ts + 960) >>> 0;
      s.index = (s.index + 1) % Math.min(CYCLE_FRAMES, s.frames.length);
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
