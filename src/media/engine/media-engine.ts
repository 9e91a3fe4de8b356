/**
 * The process-wide media engine: the UDP port range, the rooms, and the one 20 ms clock that
 * moves every call's audio. createCallMedia() hands the call layer a CallMedia per phone call.
 *
 * Every 20 ms each room pops and decodes its remote streams once and mixes for its callers; the
 * rooms are spread over four 5 ms phases of the period (see EngineClock), so the event loop is
 * never blocked for a whole period's work. Calls outside rooms (PIN prompt, resume window) get a
 * frame of silence, and every call runs its timer-free housekeeping (bridge media timeout, RTCP).
 * One process runs on one core; sharding rooms over worker_threads is the way to more cores
 * (see bench/media.ts for what one core does).
 */
import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../../log.js';
import type { BridgeTimings } from '../bridge/bridge-transport.js';
import type { CallMediaOptions, MediaEngine as MediaEnginePort } from '../call-media.js';
import { NoiseSuppressor } from '../audio/noise-suppressor.js';
import { rnnoiseModule } from '../audio/rnnoise.js';
import { CallerEndpoint } from '../caller/caller-endpoint.js';
import type { PromptSource } from '../caller/prompt-player.js';
import type { ReceiverJitterOptions } from '../caller/rtp-receiver.js';
import type { CallerSrtpPolicy } from '../caller/sdes.js';
import type { CallerRtcpMode } from '../caller/endpoint-types.js';
import type { CallerCodecName } from '../caller/sdp-types.js';
import { PortAllocator, type PortRange } from '../port-allocator.js';
import { EngineCallMedia } from './engine-call-media.js';
import type { CallMediaHost, EngineCallSettings } from './engine-types.js';
import { EngineClock, type EngineClockStats } from './engine-clock.js';
import { DEFAULT_SKIP_DECODE_LEVEL, type RemoteJitterOptions } from './remote-stream.js';
import { RoomMedia, type RoomStats } from './room-media.js';

export interface MediaEngineOptions {
  /** Local address for both legs' sockets (127.0.0.1 in tests). */
  bindAddress: string;
  /** Address announced in SDP and ICE candidates (MEDIA_ADDRESS) when binding a wildcard. */
  announcedAddress?: string;
  portRange: PortRange;
  /** Where the port round-robin starts (media workers sharing one range start apart). */
  firstPort?: number;
  /** Opus encoder complexity 0-10 (default DEFAULT_OPUS_COMPLEXITY; see there). */
  opusComplexity?: number;
  /** In-band FEC in the Opus sent to the bridge (default off; see DEFAULT_BRIDGE_OPUS_FEC). */
  opusFec?: boolean;
  prompts?: PromptSource;
  timeouts: {
    /** Connected but no RTP/RTCP from the bridge this long → bridgeMediaTimeout; 0 disables. */
    bridgeMediaMs: number;
    /** No RTP from the caller this long → callerMediaTimeout; 0 disables. */
    callerMediaMs: number;
  };
  logger?: Logger;
  /** Caller codecs, in our order of preference for our own offers. */
  callerCodecs?: readonly CallerCodecName[];
  /**
   * CALLER_SRTP on the caller's RTP (default 'off'). Only for a caller side that faces the phone
   * (MEDIA_MODE=direct); in FreeSWITCH mode FreeSWITCH does the phone's SRTP.
   */
  callerSrtp?: CallerSrtpPolicy;
  /** CALLER_RTCP on the caller's RTP (default 'on'); 'off' for a caller side that faces FreeSWITCH. */
  callerRtcp?: CallerRtcpMode;
  /** RNNoise on callers' audio toward the meeting, for calls that do not say (default off). */
  noiseSuppression?: boolean;
  /** Jitter buffer of the caller's RTP (default ENGINE_JITTER). */
  callerJitter?: ReceiverJitterOptions;
  /** Jitter buffers of the remote speakers (default ENGINE_JITTER). */
  bridgeJitter?: RemoteJitterOptions;
  /** Remote frames at or above this RFC 6464 level (-dBov) are not decoded (default 90). */
  skipDecodeLevel?: number;
  /** Send pre-encoded silence instead of encoding frames the VAD calls silence (default on). */
  silenceGate?: boolean;
  /**
   * Of those silence frames, send one every 400 ms instead of every 20 ms, as Opus DTX does
   * (default on; see DEFAULT_SILENCE_DTX).
   */
  silenceDtx?: boolean;
  rtcpIntervalMs?: number;
  bridgeTimings?: Partial<BridgeTimings>;
}

export interface MediaEngineStats {
  calls: number;
  rooms: number;
  clock: EngineClockStats;
  /** Over every current room's streams. */
  decoded: number;
  skippedSilent: number;
  concealed: number;
  duplicatesDropped: number;
  /** Over every current call. */
  encoded: number;
  silenceFramesSent: number;
  tickErrors: number;
}

/**
 * Jitter buffers of both legs: a 20 ms floor plus three times the measured jitter, rounded up to
 * whole frames, and 500 ms before an excess frame is dropped. The jitter buffer's own defaults
 * (40 ms floor, 4 × jitter, 2 s) hold 60-80 ms on a quiet network and take many seconds to give
 * back a spike, which alone would break a 60 ms one-way budget; the target still rises at once
 * when the network gets worse.
 */
export const ENGINE_JITTER: RemoteJitterOptions = { minDelayMs: 20, jitterFactor: 3, shrinkAfterMs: 500 };
/**
 * Opus encoder complexity for telephone speech (measured with bench/opus-settings.ts on the voice
 * prompts, 80 encoders rotating): from 8 kHz, complexity 1 encodes a frame in about 30 µs against
 * 60 µs at 5 and 110 µs at 10, for a log-spectral distance of 3.9 dB against 3.7 and 3.4; from
 * 16 kHz, 64 µs against 163 and 220. Below 2, SILK's noise-shaping quantizer keeps one state
 * instead of trying several (delayed decision): most of the saving, and inaudible on a telephone
 * band that G.711 has already limited.
 */
export const DEFAULT_OPUS_COMPLEXITY = 1;
/**
 * In-band FEC toward the bridge is off by default: at the same 24 kbit/s its redundant copy takes
 * bits from every frame (log-spectral distance 6.4 dB with FEC at 10% expected loss, 3.9 without)
 * and costs a quarter of the encode, to protect a hop that is usually a data-centre link; the
 * listeners' browsers conceal an isolated loss with Opus PLC.
 */
export const DEFAULT_BRIDGE_OPUS_FEC = false;
/**
 * Silence toward the bridge goes out as Opus DTX would: a frame every 400 ms. The JVB drops
 * level-127 packets anyway; in a town hall of mostly silent callers, each of those packets was an
 * SRTP protect and a send per caller every 20 ms.
 */
export const DEFAULT_SILENCE_DTX = true;
const DTX_INTERVAL_TICKS = 20;
const DEFAULT_RTCP_INTERVAL_MS = 5000;
const IDLE_STREAM_MS = 30_000;
const CLOCK_PHASES = 4;
/** After a stall, long enough for the event loop to read what queued in the sockets meanwhile. */
const STALL_GRACE_MS = 100;

export class MediaEngine implements MediaEnginePort {
  readonly portAllocator: PortAllocator;
  readonly #options: MediaEngineOptions;
  readonly #log: Logger;
  readonly #clock: EngineClock;
  readonly #settings: EngineCallSettings;
  readonly #rooms = new Map<string, RoomMedia>();
  #roomList: RoomMedia[] = [];
  /** Every open call, and those outside any room; copy-on-write like the clock's members. */
  #calls: EngineCallMedia[] = [];
  #alone: EngineCallMedia[] = [];
  #closed = false;

  constructor(options: MediaEngineOptions) {
    this.#options = options;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'media-engine' });
    this.portAllocator = new PortAllocator(options.portRange, options.firstPort);
    // NOISE_SUPPRESSION on: a module that cannot load fails the start, not every call.
    if (options.noiseSuppression === true) rnnoiseModule();
    this.#clock = new EngineClock({ phases: CLOCK_PHASES, onError: (err) => this.#tickFailed(err) });
    this.#settings = {
      uplink: {
        complexity: options.opusComplexity ?? DEFAULT_OPUS_COMPLEXITY,
        inbandFec: options.opusFec ?? DEFAULT_BRIDGE_OPUS_FEC,
        silenceGate: options.silenceGate ?? true,
        // Speech starts at -55 dBov and holds 300 ms after it drops, so word tails are kept.
        gateLevel: 55,
        gateHangoverFrames: 15,
        silenceIntervalTicks: (options.silenceDtx ?? DEFAULT_SILENCE_DTX) ? DTX_INTERVAL_TICKS : 1,
      },
      bridgeMediaTimeoutMs: options.timeouts.bridgeMediaMs,
      rtcpIntervalMs: options.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS,
    };
  }

  get activeCalls(): number {
    return this.#calls.length;
  }

  async createCallMedia(opts: CallMediaOptions): Promise<EngineCallMedia> {
    if (this.#closed) throw new Error('media engine is closed');
    const o = this.#options;
    const logger = this.#log.child({ callId: opts.callId });
    const caller = await CallerEndpoint.create({
      bindAddress: o.bindAddress,
      announcedAddress: o.announcedAddress,
      portAllocator: this.portAllocator,
      logger,
      mediaTimeoutMs: o.timeouts.callerMediaMs,
      codecs: o.callerCodecs,
      ...(o.callerSrtp !== undefined ? { srtp: o.callerSrtp } : {}),
      ...(o.callerRtcp !== undefined ? { rtcp: o.callerRtcp } : {}),
      prompts: o.prompts,
      jitter: o.callerJitter ?? ENGINE_JITTER,
      opus: { complexity: o.opusComplexity ?? DEFAULT_OPUS_COMPLEXITY },
    });
    let call: EngineCallMedia;
    const filter = this.#noiseSuppressor(opts.noiseSuppression ?? o.noiseSuppression ?? false, logger);
    try {
      call = await EngineCallMedia.create(
        opts.callId,
        caller,
        { bindAddress: o.bindAddress, announcedAddress: o.announcedAddress, portAllocator: this.portAllocator, timings: o.bridgeTimings },
        this.#host,
        this.#settings,
        logger,
        filter,
      );
    } catch (err) {
      filter?.close();
      await caller.close();
      throw err;
    }
    if (this.#closed) {
      // The engine closed while this call was being set up: it must not outlive the engine.
      await call.close();
      throw new Error('media engine is closed');
    }
    this.#calls = [...this.#calls, call];
    this.#alone = [...this.#alone, call];
    this.#clock.add(this.#callsMember);
    return call;
  }

  /** A call's noise suppressor; a call goes on without one rather than fail for it. */
  #noiseSuppressor(wanted: boolean, logger: Logger): NoiseSuppressor | undefined {
    if (!wanted) return undefined;
    try {
      return new NoiseSuppressor();
    } catch (err) {
      logger.warn({ err }, 'noise suppression unavailable: the call goes on without it');
      return undefined;
    }
  }

  stats(): MediaEngineStats {
    const s: MediaEngineStats = {
      calls: this.#calls.length,
      rooms: this.#rooms.size,
      clock: this.#clock.stats(),
      decoded: 0,
      skippedSilent: 0,
      concealed: 0,
      duplicatesDropped: 0,
      encoded: 0,
      silenceFramesSent: 0,
      tickErrors: this.#tickErrors,
    };
    for (const room of this.#roomList) {
      for (const st of room.stats().streams) {
        s.decoded += st.decoded;
        s.skippedSilent += st.skippedSilent;
        s.concealed += st.concealed;
        s.duplicatesDropped += st.duplicates;
      }
    }
    for (const call of this.#calls) {
      const u = call.details().uplink;
      s.encoded += u.encoded;
      s.silenceFramesSent += u.silence;
    }
    return s;
  }

  roomStats(roomJid: string): RoomStats | undefined {
    return this.#rooms.get(roomJid)?.stats();
  }

  /** Closes every call (ports, timers, codecs) and stops the clock. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#calls.map((c) => c.close()));
    this.#clock.stop();
  }

  readonly #host: CallMediaHost = {
    joinRoom: (jid, call) => {
      let room = this.#rooms.get(jid);
      if (room === undefined) {
        room = new RoomMedia(jid, {
          jitter: this.#options.bridgeJitter ?? ENGINE_JITTER,
          skipDecodeLevel: this.#options.skipDecodeLevel ?? DEFAULT_SKIP_DECODE_LEVEL,
          idleStreamMs: IDLE_STREAM_MS,
          logger: this.#log,
        });
        this.#rooms.set(jid, room);
        this.#roomList = [...this.#roomList, room];
        this.#clock.add(room);
      }
      room.join(call);
      this.#alone = this.#alone.filter((c) => c !== call);
      return room;
    },
    leaveRoom: (room, call) => {
      if (room.leave(call) === 0) {
        this.#clock.remove(room);
        room.close();
        this.#rooms.delete(room.jid);
        this.#roomList = this.#roomList.filter((r) => r !== room);
      }
      if (this.#calls.includes(call) && !this.#alone.includes(call)) this.#alone = [...this.#alone, call];
    },
    released: (call) => {
      this.#calls = this.#calls.filter((c) => c !== call);
      this.#alone = this.#alone.filter((c) => c !== call);
      if (this.#calls.length === 0) this.#clock.remove(this.#callsMember);
    },
  };

  /**
   * Calls outside rooms, and every call's housekeeping, in one clock member (rooms are members of
   * their own). One failing call must not stop the others: each is guarded.
   */
  readonly #callsMember = {
    skipped: (periods: number): void => {
      for (const call of this.#alone) call.discardCallerFrames(periods);
      this.#stalled = true;
    },
    tick: (nowMs: number): void => {
      if (this.#stalled) {
        // The clock skipped ticks, so the process was not running: the bridges' packets of that
        // time are still unread in the sockets. Judge no media timeout until they have been read.
        this.#stalled = false;
        this.#judgeTimeoutsFromMs = nowMs + STALL_GRACE_MS;
      }
      const judgeTimeouts = nowMs >= this.#judgeTimeoutsFromMs;
      const alone = this.#alone;
      for (let i = 0; i < alone.length; i++) {
        try {
          alone[i]!.tickAlone();
        } catch (err) {
          this.#tickFailed(err);
        }
      }
      const calls = this.#calls;
      for (let i = 0; i < calls.length; i++) {
        try {
          calls[i]!.housekeeping(nowMs, judgeTimeouts);
        } catch (err) {
          this.#tickFailed(err);
        }
      }
    },
  };

  #tickErrors = 0;
  #lastErrorLogMs = -Infinity;
  #stalled = false;
  #judgeTimeoutsFromMs = 0;

  /** Counts tick failures and logs at most one a second (a broken call would fail 50 times a second). */
  #tickFailed(err: unknown): void {
    const nowMs = performance.now();
    this.#tickErrors++;
    if (nowMs - this.#lastErrorLogMs < 1000) return;
    this.#lastErrorLogMs = nowMs;
    this.#log.error({ err, failures: this.#tickErrors }, 'media tick step failed');
  }
}
