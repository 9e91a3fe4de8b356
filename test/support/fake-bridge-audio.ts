/**
 * Audio on top of the fake bridge: a fake conference whose remote speakers each send a distinct
 * continuous tone as Opus (48 kHz RTP clock, 20 ms, audio-level extension), to one or more
 * gateway transports ("endpoints", one FakeBridge each, as each phone caller is its own JVB
 * participant). Every endpoint records what the gateway sends it, per SSRC: decoded audio (for
 * Goertzel tone checks), audio levels, markers, mids.
 *
 *   const conf = new FakeConference({ speakers: [{ freqHz: 500 }, { freqHz: 900, silent: true }] });
 *   const ep = await conf.addEndpoint();     // ep.bridge.remoteParameters() → connectBridge
 *   conf.start();                            // 20 ms packets from every speaker to every endpoint
 *   ep.gateway()?.audio()                    // what the gateway sent this endpoint, decoded
 *
 * Like the JVB, the conference forwards what the gateway sends on one endpoint to every other
 * endpoint (with the sender's SSRC and sequence numbers), except level-127 packets, which the JVB
 * discards. A `silent` speaker sends level 127 with an audible tone inside: a test can then tell
 * a skipped decode (tone absent at the caller) from a decoded silence. Loss and reordering are
 * applied per endpoint with a seeded generator, so runs repeat.
 */
import { OpusCodec } from '../../src/media/codecs/opus.js';
import { audioLevel } from '../../src/media/audio/level.js';
import { DtmfSender } from '../../src/media/rtp/dtmf.js';
import { encodeAudioLevelByte, findAudioLevelByte, getHeaderExtension, readMid } from '../../src/media/rtp/index.js';
import { parseRtp, serializeRtp, type RtpHeaderExtensionElement } from '../../src/media/rtp/packet.js';
import { buildReceiverReport, ntpMiddle32, parseRtcp } from '../../src/media/rtp/rtcp.js';
import { FrameClock } from '../../src/media/caller/frame-clock.js';
import type { NegotiatedAudio } from '../../src/xmpp/jingle/negotiate.js';
import { ToneGenerator, detectTones, goertzel, meanSquare } from './audio.js';
import { FakeBridge, type FakeBridgeOptions } from './fake-bridge.js';

export const FAKE_OPUS_PT = 111;
export const FAKE_TELEPHONE_EVENT_PT = 126;
export const FAKE_AUDIO_LEVEL_ID = 1;
export const FAKE_MID_ID = 10;

/** What Jicofo's offer negotiates to with this fake (see negotiateAudio). */
export const FAKE_NEGOTIATED_AUDIO: NegotiatedAudio = {
  mid: 'audio',
  opusPt: FAKE_OPUS_PT,
  opusParameters: { minptime: '10', useinbandfec: '1' },
  telephoneEventPt: FAKE_TELEPHONE_EVENT_PT,
  audioLevelExtId: FAKE_AUDIO_LEVEL_ID,
  midExtId: FAKE_MID_ID,
};

export interface SpeakerSpec {
  freqHz: number;
  amplitude?: number;
  /**
   * Syllable-like amplitude modulation (Hz; 0 = a steady tone), closer to a voice than a steady
   * tone. (libopus' encoder VAD learns a steady tone as background within a second, and its own
   * loss concealment then produces noise; a test of concealment should not hinge on that.)
   */
  modulationHz?: number;
  /** Level 127 in every packet (the tone is still encoded inside). */
  silent?: boolean;
  ssrc?: number;
  owner?: string;
}

export interface FakeConferenceOptions {
  speakers: SpeakerSpec[];
  /** Packets from the speakers lost on the way to each endpoint, in percent. */
  lossPercent?: number;
  /** Packets swapped with the next one of the same speaker, in percent. */
  reorderPercent?: number;
  seed?: number;
  /** Rate the endpoints decode the gateway's Opus at (for tone checks). */
  decodeRate?: 8000 | 16000;
  bridge?: FakeBridgeOptions;
}

interface Speaker {
  readonly ssrc: number;
  readonly owner: string;
  silent: boolean;
  readonly tone: ToneGenerator;
  readonly modulationHz: number;
  /** Samples produced so far (the modulation's time base). */
  position: number;
  readonly encoder: OpusCodec;
  readonly frame: Int16Array;
  seq: number;
  ts: number;
  readonly dtmf: DtmfSender;
}

/** What the gateway sent one endpoint on one SSRC. */
export class GatewayStream {
  readonly ssrc: number;
  packets = 0;
  markers = 0;
  /** Per packet with the extension: level, V bit and marker bit. */
  readonly levels: number[] = [];
  readonly voice: boolean[] = [];
  readonly marked: boolean[] = [];
  readonly mids = new Set<string>();
  readonly payloadTypes = new Set<number>();
  readonly frames: Int16Array[] = [];
  readonly arrivalMs: number[] = [];
  firstSeq = -1;
  lastSeq = -1;
  readonly #decoder: OpusCodec;

  constructor(ssrc: number, rate: 8000 | 16000) {
    this.ssrc = ssrc;
    this.#decoder = new OpusCodec({ sampleRate: rate });
  }

  get sampleRate(): number {
    return this.#decoder.sampleRate;
  }

  /** Decoded audio of the frames from index `fromFrame` on. */
  audio(fromFrame = 0): Int16Array {
    const parts = this.frames.slice(fromFrame);
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  tones(candidates: readonly number[], fromFrame = 0): number[] {
    return detectTones(this.audio(fromFrame), this.sampleRate, candidates);
  }

  add(packet: Buffer, nowMs: number): void {
    const view = parseRtp(packet);
    this.packets++;
    if (this.firstSeq < 0) this.firstSeq = view.sequenceNumber;
    this.lastSeq = view.sequenceNumber;
    if (view.marker) this.markers++;
    this.payloadTypes.add(view.payloadType);
    const level = findAudioLevelByte(view, FAKE_AUDIO_LEVEL_ID);
    if (level >= 0) {
      this.levels.push(level & 0x7f);
      this.voice.push((level & 0x80) !== 0);
      this.marked.push(view.marker);
    }
    const mid = getHeaderExtension(view, FAKE_MID_ID);
    if (mid !== undefined) this.mids.add(readMid(mid) ?? '');
    if (view.payloadType === FAKE_OPUS_PT) {
      this.frames.push(Int16Array.from(this.#decoder.decode(view.payload)));
      this.arrivalMs.push(nowMs);
    }
  }

  close(): void {
    this.#decoder.close();
  }
}

/** The SSRC the fake bridge sends its receiver reports from. */
const RR_SSRC = 0x0b1d9e;

/** One gateway transport's view of the conference: a FakeBridge plus what it received. */
export class FakeBridgeEndpoint {
  readonly bridge: FakeBridge;
  readonly streams = new Map<number, GatewayStream>();
  /** Speaker packets dropped / reordered on the way to this endpoint. */
  dropped = 0;
  reordered = 0;
  readonly #rate: 8000 | 16000;
  readonly #held = new Map<number, Buffer>();

  constructor(bridge: FakeBridge, rate: 8000 | 16000, onGatewayPacket: (ep: FakeBridgeEndpoint, packet: Buffer) => void) {
    this.bridge = bridge;
    this.#rate = rate;
    bridge.on('rtp', (packet) => {
      const view = parseRtp(packet);
      let s = this.streams.get(view.ssrc);
      if (s === undefined) {
        s = new GatewayStream(view.ssrc, this.#rate);
        this.streams.set(view.ssrc, s);
      }
      s.add(packet, performance.now());
      onGatewayPacket(this, packet);
    });
  }

  /**
   * Answers each sender report of the gateway as the JVB does: a receiver report about that SSRC
   * with LSR (the SR's NTP middle bits), DLSR (how long it was held: `holdMs` or more) and the loss
   * seen on the stream, so the gateway can measure the round trip.
   */
  answerSenderReports(holdMs = 0): void {
    this.bridge.on('rtcp', (packet) => {
      let parsed;
      try {
        parsed = parseRtcp(packet);
      } catch {
        return;
      }
      for (const p of parsed) {
        if (p.kind !== 'sr') continue;
        const s = this.streams.get(p.ssrc);
        const expected = s === undefined || s.firstSeq < 0 ? 0 : ((s.lastSeq - s.firstSeq + 0x10000) & 0xffff) + 1;
        const receivedMs = performance.now();
        const lastSr = ntpMiddle32(p.ntpSeconds, p.ntpFraction);
        setTimeout(() => {
          // DLSR is how long the report was really held (a busy test process holds it longer).
          const rr = buildReceiverReport(RR_SSRC, [
            {
              ssrc: p.ssrc,
              fractionLost: 0,
              cumulativeLost: Math.max(0, expected - (s?.packets ?? 0)),
              highestSeq: s === undefined ? 0 : s.lastSeq,
              jitter: 0,
              lastSr,
              delaySinceLastSr: Math.round(((performance.now() - receivedMs) * 65536) / 1000),
            },
          ]);
          try {
            this.bridge.sendRtcp(rr);
          } catch {
            // closed meanwhile
          }
        }, holdMs).unref();
      }
    });
  }

  /** The gateway's stream (the first SSRC it sent, or the given one). */
  gateway(ssrc?: number): GatewayStream | undefined {
    if (ssrc !== undefined) return this.streams.get(ssrc);
    return this.streams.values().next().value;
  }

  /** Sends a speaker packet, applying this endpoint's loss and reordering. */
  deliver(speakerSsrc: number, packet: Buffer, lose: boolean, reorder: boolean): void {
    if (lose) {
      this.dropped++;
      return;
    }
    const held = this.#held.get(speakerSsrc);
    if (held !== undefined) {
      this.#held.delete(speakerSsrc);
      this.#send(packet);
      this.#send(held);
      return;
    }
    if (reorder) {
      this.reordered++;
      this.#held.set(speakerSsrc, packet);
      return;
    }
    this.#send(packet);
  }

  /** Forwards a packet as is (another participant's audio, as the JVB does). */
  forward(packet: Buffer): void {
    this.#send(packet);
  }

  #send(packet: Buffer): void {
    if (this.bridge.srtpProfile === undefined || this.bridge.peer === undefined) return;
    this.bridge.sendRtp(packet);
  }

  async close(): Promise<void> {
    for (const s of this.streams.values()) s.close();
    await this.bridge.close();
  }
}

export class FakeConference {
  readonly endpoints: FakeBridgeEndpoint[] = [];
  readonly #speakers: Speaker[];
  readonly #options: FakeConferenceOptions;
  readonly #clock: FrameClock;
  #rand: () => number;
  /** Speaker packets sent (each once, whatever the number of endpoints). */
  sentPackets = 0;
  /** Gateway packets forwarded between endpoints, and level-127 ones discarded. */
  forwarded = 0;
  discardedSilence = 0;

  constructor(options: FakeConferenceOptions) {
    this.#options = options;
    this.#rand = mulberry32(options.seed ?? 1);
    this.#speakers = options.speakers.map((spec, i) => ({
      ssrc: spec.ssrc ?? 0x1000 + i * 0x111,
      owner: spec.owner ?? `web${i}`,
      silent: spec.silent ?? false,
      tone: new ToneGenerator(spec.freqHz, 16000, spec.amplitude ?? 6000),
      modulationHz: spec.modulationHz ?? 0,
      position: 0,
      encoder: new OpusCodec({ sampleRate: 16000 }),
      frame: new Int16Array(320),
      seq: 1000 * (i + 1),
      ts: 100_000 * (i + 1),
      dtmf: new DtmfSender({ clockRate: 8000 }),
    }));
    this.#clock = new FrameClock(() => this.#tick());
  }

  /** Jingle sources of the speakers (what Jicofo lists in session-initiate). */
  sources(): Array<{ ssrc: number; owner: string }> {
    return this.#speakers.map((s) => ({ ssrc: s.ssrc, owner: s.owner }));
  }

  ssrcOf(index: number): number {
    return this.#speakers[index]!.ssrc;
  }

  setSilent(index: number, silent: boolean): void {
    this.#speakers[index]!.silent = silent;
  }

  async addEndpoint(): Promise<FakeBridgeEndpoint> {
    const bridge = await FakeBridge.create(this.#options.bridge);
    const ep = new FakeBridgeEndpoint(bridge, this.#options.decodeRate ?? 16000, (from, packet) => this.#forward(from, packet));
    this.endpoints.push(ep);
    return ep;
  }

  start(): void {
    this.#clock.start();
  }

  /** Stops sending (the bridge "goes silent"); endpoints keep receiving. */
  stop(): void {
    this.#clock.stop();
  }

  get running(): boolean {
    return this.#clock.running;
  }

  /** RFC 4733 digits on a speaker's SSRC (as DTMF typed in a web client); its audio pauses meanwhile. */
  sendDigits(digits: string, speakerIndex = 0): void {
    this.#speakers[speakerIndex]!.dtmf.enqueue(digits, 120);
  }

  async close(): Promise<void> {
    this.#clock.stop();
    for (const s of this.#speakers) s.encoder.close();
    await Promise.all(this.endpoints.map((e) => e.close()));
  }

  #tick(): void {
    const o = this.#options;
    for (const s of this.#speakers) {
      const ts = s.ts;
      s.ts = (ts + 960) >>> 0;
      // A telephone event in progress replaces the speaker's audio, as browsers do.
      const packet = (s.dtmf.busy ? this.#dtmfPacket(s, ts) : undefined) ?? this.#audioPacket(s, ts);
      s.seq = (s.seq + 1) & 0xffff;
      this.sentPackets++;
      for (const ep of this.endpoints) {
        const lose = (o.lossPercent ?? 0) > 0 && this.#rand() * 100 < o.lossPercent!;
        const reorder = !lose && (o.reorderPercent ?? 0) > 0 && this.#rand() * 100 < o.reorderPercent!;
        ep.deliver(s.ssrc, packet, lose, reorder);
      }
    }
  }

  #dtmfPacket(s: Speaker, ts: number): Buffer | undefined {
    const p = s.dtmf.next(ts);
    return p === undefined ? undefined : this.#rtp(s, FAKE_TELEPHONE_EVENT_PT, p.timestamp, p.marker, p.payload, -1);
  }

  #audioPacket(s: Speaker, ts: number): Buffer {
    s.tone.fill(s.frame);
    modulate(s);
    const level = s.silent ? 127 : audioLevel(s.frame);
    return this.#rtp(s, FAKE_OPUS_PT, ts, false, s.encoder.encode(s.frame), level);
  }

  #rtp(s: Speaker, pt: number, ts: number, marker: boolean, payload: Uint8Array, level: number): Buffer {
    const extensions: RtpHeaderExtensionElement[] =
      level < 0 ? [] : [{ id: FAKE_AUDIO_LEVEL_ID, data: Uint8Array.of(encodeAudioLevelByte(level, level < 60)) }];
    return serializeRtp({ payloadType: pt, sequenceNumber: s.seq, timestamp: ts, ssrc: s.ssrc, marker, payload, extensions });
  }

  /** The JVB's forwarding: a gateway packet goes to every other endpoint, unless it is silence. */
  #forward(from: FakeBridgeEndpoint, packet: Buffer): void {
    if (this.endpoints.length < 2) return;
    const level = findAudioLevelByte(parseRtp(packet), FAKE_AUDIO_LEVEL_ID);
    if (level >= 0 && (level & 0x7f) === 127) {
      this.discardedSilence++;
      return;
    }
    for (const ep of this.endpoints) {
      if (ep === from) continue;
      ep.forward(packet);
      this.forwarded++;
    }
  }
}

/** Applies the speaker's amplitude modulation (0.6 ± 0.4) to its current frame. */
function modulate(s: Speaker): void {
  const frame = s.frame;
  if (s.modulationHz > 0) {
    const w = (2 * Math.PI * s.modulationHz) / 16000;
    for (let i = 0; i < frame.length; i++) frame[i] = Math.round(frame[i]! * (0.6 + 0.4 * Math.sin(w * (s.position + i))));
  }
  s.position += frame.length;
}

/** Share of 20 ms blocks of `pcm` in which `freqHz` carries at least `minRatio` of the power. */
export function toneFrameShare(pcm: Int16Array, sampleRate: number, freqHz: number, minRatio = 0.2, minPower = 1e4): number {
  const n = sampleRate / 50;
  let withTone = 0;
  let blocks = 0;
  for (let o = 0; o + n <= pcm.length; o += n) {
    const block = pcm.subarray(o, o + n);
    blocks++;
    const total = meanSquare(block);
    if (total >= minPower && goertzel(block, sampleRate, freqHz) / total >= minRatio) withTone++;
  }
  return blocks === 0 ? 0 : withTone / blocks;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
