import { TypedEmitter } from '../../util/typed-emitter.js';
import type { BridgeLocal, BridgeRemote, CallMedia, CallMediaEvents, CallMediaStats, RemoteAudioSource } from '../call-media.js';
import type { CallerCodecName } from '../caller/sdp-types.js';
import type { DigitCollectOptions, IceCandidate, NegotiatedAudio, PromptName } from '../media-vocabulary.js';
import type { MediaWorker, WorkerCallSink } from './media-worker.js';
import type { CallEventName, CallMirror } from './protocol.js';

const EMPTY_STATS: CallMediaStats = {
  caller: { packetsReceived: 0, packetsLost: 0, packetsSent: 0, jitterMs: 0 },
  bridge: { packetsReceived: 0, packetsLost: 0, packetsSent: 0, srtpFailures: 0, connected: false },
};

/**
 * A call's media living in a worker thread, seen through CallMedia from the main thread. Every
 * operation is a message (protocol.ts); what CallMedia reads synchronously is mirrored here: the
 * caller's telephone-event support (sent with every reply) and the counters (pushed a few times
 * a second, and once more when the call closes).
 */
export class RemoteCallMedia extends TypedEmitter<CallMediaEvents> implements CallMedia {
  #mirror: CallMirror = { callerHasTelephoneEvent: false };
  #stats: CallMediaStats = EMPTY_STATS;
  #closing: Promise<void> | undefined;
  #lost = false;

  constructor(
    readonly callId: string,
    private readonly worker: MediaWorker,
    /** Told once when the call is closed or lost, so the pool stops counting it. */
    private readonly released: (media: RemoteCallMedia) => void,
  ) {
    super();
  }

  /** The sink the worker feeds this call's events, counters and mirror through. */
  readonly sink: WorkerCallSink = {
    event: (event, args) => this.#emitRemote(event, args),
    stats: (stats) => {
      this.#stats = stats;
    },
    mirror: (m) => {
      this.#mirror = m;
    },
    lost: (reason) => {
      if (this.#closing !== undefined || this.#lost) return;
      this.#lost = true;
      this.released(this);
      this.emit('mediaLost', reason);
    },
  };

  get workerIndex(): number {
    return this.worker.index;
  }

  // ---- caller side ------------------------------------------------------------------------------

  answerCaller(offerSdp: string): Promise<string> {
    return this.#ask({ op: 'answerCaller', offer: offerSdp }) as Promise<string>;
  }

  offerToCaller(codecs?: readonly CallerCodecName[]): Promise<string> {
    return this.#ask({ op: 'offerToCaller', ...(codecs !== undefined ? { codecs: [...codecs] } : {}) }) as Promise<string>;
  }

  async acceptCallerAnswer(answerSdp: string): Promise<void> {
    await this.#ask({ op: 'acceptCallerAnswer', answer: answerSdp });
  }

  get callerHasTelephoneEvent(): boolean {
    return this.#mirror.callerHasTelephoneEvent;
  }

  async play(prompt: PromptName): Promise<void> {
    await this.#ask({ op: 'play', prompt });
  }

  playAndCollect(prompt: PromptName, opts: DigitCollectOptions): Promise<string> {
    return this.#ask({ op: 'playAndCollect', prompt, opts: { ...opts } }) as Promise<string>;
  }

  pushCallerDigit(digit: string): void {
    this.worker.command(this.callId, { op: 'pushCallerDigit', digit });
  }

  stopPrompt(): void {
    this.worker.command(this.callId, { op: 'stopPrompt' });
  }

  sendDtmfToCaller(digit: string): void {
    this.worker.command(this.callId, { op: 'sendDtmfToCaller', digit });
  }

  // ---- bridge side ------------------------------------------------------------------------------

  bridgeLocal(): Promise<BridgeLocal> {
    return this.#ask({ op: 'bridgeLocal' }) as Promise<BridgeLocal>;
  }

  async bridgeReady(): Promise<void> {
    await this.#ask({ op: 'bridgeReady' });
  }

  async connectBridge(roomJid: string, remote: BridgeRemote, audio: NegotiatedAudio, sources: readonly RemoteAudioSource[]): Promise<void> {
    await this.#ask({ op: 'connectBridge', roomJid, remote: cloneRemote(remote), audio: { ...audio }, sources: sources.map((s) => ({ ...s })) });
  }

  addBridgeCandidates(candidates: readonly IceCandidate[]): void {
    this.worker.command(this.callId, { op: 'addBridgeCandidates', candidates: candidates.map((c) => ({ ...c })) });
  }

  async restartBridge(remote: BridgeRemote): Promise<void> {
    await this.#ask({ op: 'restartBridge', remote: cloneRemote(remote) });
  }

  disconnectBridge(): void {
    this.worker.command(this.callId, { op: 'disconnectBridge' });
  }

  setRemoteSources(sources: readonly RemoteAudioSource[]): void {
    this.worker.command(this.callId, { op: 'setRemoteSources', sources: sources.map((s) => ({ ...s })) });
  }

  // ---- control ----------------------------------------------------------------------------------

  setMuted(muted: boolean): void {
    this.worker.command(this.callId, { op: 'setMuted', muted });
  }

  stats(): CallMediaStats {
    return this.#stats;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (!this.#lost) {
      // The last counters are pushed before the close reply, so stats() after close is final.
      await this.worker.request(this.callId, { op: 'close' }).catch(() => undefined);
      this.released(this);
    }
    this.removeAllListeners();
  }

  #ask(req: Parameters<MediaWorker['request']>[1]): Promise<unknown> {
    return this.worker.request(this.callId, req);
  }

  #emitRemote(event: CallEventName, args: unknown[]): void {
    // Arguments were typed by the engine's emitter in the worker; they cross as plain data.
    (this.emit as (e: CallEventName, ...a: unknown[]) => void)(event, ...args);
  }
}

/** Plain copies: the Jingle layer may hand over frozen or class instances, which do not clone. */
function cloneRemote(r: BridgeRemote): BridgeRemote {
  return {
    ufrag: r.ufrag,
    pwd: r.pwd,
    candidates: r.candidates.map((c) => ({ ...c })),
    fingerprints: r.fingerprints.map((f) => ({ hash: f.hash, value: f.value })),
  };
}
