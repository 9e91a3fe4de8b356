/**
 * The message protocol between the main thread (signalling: SIP, XMPP, HTTP, the call layer) and
 * a media worker thread (the media engine: sockets, jitter buffers, mixing, codecs, SRTP).
 *
 * It carries control only, never media: a call's packets arrive on, and leave from, sockets the
 * worker owns. Per call and direction, messages keep their order (postMessage is FIFO), which the
 * protocol relies on: a `restartBridge` is followed by a `bridgeLocal` that sees its new
 * credentials; a call's events reach the main thread in the order the engine emitted them.
 *
 * Main → worker:
 *   create       open a call's media (binds its caller and bridge sockets)      → reply
 *   call         one CallMedia operation on a call (`id` set: a reply follows)
 *   shutdown     close every call and stop the engine                           → reply
 *   heap         the worker's live heap (diagnostics, leak checks)              → reply
 * Worker → main:
 *   reply        the result of a request, or its error (see worker-errors.ts)
 *   event        a CallMedia event of one call, with its arguments
 *   stats        every call's CallMediaStats, pushed every STATS_PUSH_MS
 *   load         the worker's load (calls, rooms, busy share, late ticks), every LOAD_PUSH_MS
 *   log          one log line, written by the main thread's logger
 */
import type { BridgeRemote, CallMediaEvents, CallMediaStats, RemoteAudioSource } from '../call-media.js';
import type { CallerCodecName } from '../caller/sdp-types.js';
import type { MediaEngineOptions } from '../engine/media-engine.js';
import type { DigitCollectOptions, IceCandidate, NegotiatedAudio, PromptName } from '../media-vocabulary.js';
import type { WireError } from './worker-errors.js';

/** How often a worker pushes its calls' counters (stats() reads the last push). */
export const STATS_PUSH_MS = 250;
/** How often a worker reports its load. */
export const LOAD_PUSH_MS = 1000;

/** Operations that answer with a value (or an error). */
export type CallRequest =
  | { op: 'answerCaller'; offer: string }
  | { op: 'offerToCaller'; codecs?: CallerCodecName[] }
  | { op: 'acceptCallerAnswer'; answer: string }
  | { op: 'play'; prompt: PromptName }
  | { op: 'playAndCollect'; prompt: PromptName; opts: DigitCollectOptions }
  | { op: 'bridgeLocal' }
  | { op: 'bridgeReady' }
  | { op: 'connectBridge'; roomJid: string; remote: BridgeRemote; audio: NegotiatedAudio; sources: RemoteAudioSource[] }
  | { op: 'restartBridge'; remote: BridgeRemote }
  | { op: 'close' };

/** Operations that answer nothing (their failures are logged in the worker). */
export type CallCommand =
  | { op: 'addBridgeCandidates'; candidates: IceCandidate[] }
  | { op: 'disconnectBridge' }
  | { op: 'setRemoteSources'; sources: RemoteAudioSource[] }
  | { op: 'setMuted'; muted: boolean }
  | { op: 'pushCallerDigit'; digit: string }
  | { op: 'stopPrompt' }
  | { op: 'sendDtmfToCaller'; digit: string };

/** A call's own media settings (CallMediaOptions less what only the main thread uses). */
export interface CreateOptions {
  noiseSuppression?: boolean;
}

/** What a call's media state the main thread mirrors, sent with every reply about that call. */
export interface CallMirror {
  callerHasTelephoneEvent: boolean;
}

export type ToWorker =
  | { t: 'create'; id: number; callId: string; opts?: CreateOptions }
  | { t: 'request'; id: number; callId: string; req: CallRequest }
  | { t: 'command'; callId: string; cmd: CallCommand }
  | { t: 'shutdown'; id: number }
  /** Diagnostics: the worker's live heap in bytes, after a full GC when the process allows one (--expose-gc). */
  | { t: 'heap'; id: number }
  /**
   * The thread ends itself with this exit code. Worker.terminate() from outside may cut the thread
   * off between two native codec calls, and libopus's binding then aborts the whole process (it
   * cannot throw into a thread being torn down); a thread that exits from inside runs nothing after.
   */
  | { t: 'exit'; code: number };

/** What the worker's host handles (the thread's entry point handles 'exit' itself). */
export type HostMessage = Exclude<ToWorker, { t: 'exit' }>;

export type CallEventName = keyof CallMediaEvents;

export interface WorkerLoad {
  calls: number;
  rooms: number;
  /** Share of the time the worker's event loop was busy since the last report (0-1): its CPU share. */
  busy: number;
  /** Engine clock slots that ran late, and periods dropped after stalls, since the worker started. */
  lateTicks: number;
  skippedTicks: number;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'reply'; id: number; ok: true; value: unknown; mirror?: CallMirror }
  | { t: 'reply'; id: number; ok: false; error: WireError }
  | { t: 'event'; callId: string; event: CallEventName; args: unknown[] }
  | { t: 'stats'; calls: Array<[callId: string, stats: CallMediaStats]> }
  | { t: 'load'; load: WorkerLoad }
  | { t: 'log'; line: string };

/** What a worker is started with (workerData): the engine's options, minus what cannot be cloned. */
export interface WorkerInit {
  index: number;
  engine: Omit<MediaEngineOptions, 'logger' | 'prompts'>;
  /** Directory of the caller prompts (PromptStore), when prompts are played. */
  promptsDir: string | undefined;
  logLevel: string;
}
