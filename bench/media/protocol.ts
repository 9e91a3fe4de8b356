/**
 * Messages between the benchmark's three processes: the orchestrator (bench/media.ts), the engine
 * process (only the MediaEngine, so its CPU can be measured alone) and the load process (fake
 * phones and fake bridges).
 */

import type { NegotiatedAudio } from '../../src/media/media-vocabulary.js';

export type Scenario = 'A' | 'B' | 'C';

/** What the fake bridges' sessions negotiate, as Jicofo's offer to the gateway would. */
export const BENCH_AUDIO: NegotiatedAudio = {
  mid: 'audio',
  opusPt: 111,
  opusParameters: { minptime: '10', useinbandfec: '1' },
  telephoneEventPt: 126,
  audioLevelExtId: 1,
  midExtId: 10,
};

/** What the load side made for one call: the phone's SDP offer and the bridge's parameters. */
export interface PreparedCall {
  id: number;
  room: string;
  offer: string;
  remote: {
    ufrag: string;
    pwd: string;
    candidates: Array<{ foundation: string; component: number; protocol: string; priority: number; ip: string; port: number; type: 'host'; generation: number }>;
    fingerprints: Array<{ hash: string; value: string }>;
  };
  sources: Array<{ ssrc: number; owner: string }>;
}

export interface Answered {
  id: number;
  port: number;
}

/** The engine's figures over one measurement window. */
export interface EngineWindow {
  calls: number;
  wallMs: number;
  cpuUs: number;
  /** Of cpuUs, the kernel's part (sockets, mostly). */
  systemUs: number;
  rssBytes: number;
  ticks: number;
  lateTicks: number;
  skippedTicks: number;
  /** Input loss seen by the engine: caller RTP lost, bridge RTP lost or late (jitter buffers). */
  callerLost: number;
  callerReceived: number;
  bridgeLost: number;
  bridgeReceived: number;
  decoded: number;
  skippedSilent: number;
  encoded: number;
  /** Averages over the active web speakers' jitter buffers at the end of the window. */
  bridgeJitter: { depthMs: number; targetMs: number; jitterMs: number };
  /** Garbage-collection pauses during the window. */
  gc: { count: number; totalMs: number; maxMs: number; major: number; majorMaxMs: number };
}

/** The load side's figures over one window. */
export interface LoadWindow {
  cpuUs: number;
  wallMs: number;
  /** Frames the gateway should have sent vs. received, toward the phones and the bridges. */
  toPhonesExpected: number;
  toPhonesReceived: number;
  toBridgesExpected: number;
  toBridgesReceived: number;
  /** One-way latencies through the gateway, ms. */
  callerToBridgeMs: number[];
  bridgeToCallerMs: number[];
  /** Packets the fake JVB forwarded between callers (scenario B). */
  forwarded: number;
}

export type ToEngine =
  | { t: 'connect'; calls: PreparedCall[] }
  | { t: 'measureStart' }
  | { t: 'measureEnd' }
  | { t: 'codecFloor'; calls: number }
  | { t: 'baseline' }
  | { t: 'closeAll' }
  | { t: 'exit' };

export type FromEngine =
  | { t: 'ready' }
  | { t: 'answered'; answers: Answered[] }
  | { t: 'connected'; ids: number[]; failed: number }
  | { t: 'measureStarted' }
  | { t: 'window'; window: EngineWindow }
  | { t: 'codecFloor'; encodeUs: number; decodeUs: number; referenceEncodeUs: number }
  | { t: 'baseline'; rssBytes: number }
  | { t: 'closed' };

export type ToLoad =
  | { t: 'prepare'; ids: number[]; scenario: Scenario; room?: string }
  | { t: 'answers'; answers: Answered[] }
  | { t: 'startMedia'; ids: number[] }
  | { t: 'measureStart' }
  | { t: 'measureEnd' }
  | { t: 'closeAll' }
  | { t: 'exit' };

export type FromLoad =
  | { t: 'ready' }
  | { t: 'prepared'; calls: PreparedCall[] }
  | { t: 'answersApplied' }
  | { t: 'mediaStarted' }
  | { t: 'measureStarted' }
  | { t: 'window'; window: LoadWindow }
  | { t: 'closed' };
