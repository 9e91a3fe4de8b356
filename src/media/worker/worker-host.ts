import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from '../../log.js';
import type { CallMedia, CallMediaEvents } from '../call-media.js';
import type { MediaEngine } from '../engine/media-engine.js';
import {
  LOAD_PUSH_MS,
  STATS_PUSH_MS,
  type CallCommand,
  type CallEventName,
  type CallRequest,
  type CreateOptions,
  type FromWorker,
  type HostMessage,
} from './protocol.js';
import { toWire } from './worker-errors.js';

/** Every CallMedia event, forwarded to the main thread as it happens. */
export const CALL_MEDIA_EVENTS = [
  'bridgeConnected',
  'bridgeFailed',
  'bridgeMediaTimeout',
  'callerMediaTimeout',
  'callerMediaResumed',
  'callerMediaFailed',
  'callerDtmf',
  'bridgeDtmf',
  'mediaLost',
] as const satisfies readonly CallEventName[];
// A new CallMedia event that is not forwarded would be lost silently: make that a type error.
type Unforwarded = Exclude<CallEventName, (typeof CALL_MEDIA_EVENTS)[number]>;
const allForwarded: [Unforwarded] extends [never] ? true : Unforwarded = true;
void allForwarded;

/**
 * The worker's side of the protocol, independent of the thread it runs in (tests drive it
 * directly): serves one engine's calls to the messages of protocol.ts and reports their events,
 * counters and the worker's load.
 */
export class MediaWorkerHost {
  readonly #calls = new Map<string, CallMedia>();
  readonly #timers: NodeJS.Timeout[] = [];
  #elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly engine: MediaEngine,
    private readonly post: (msg: FromWorker) => void,
    private readonly log: Logger,
  ) {}

  /** Starts the periodic stats and load reports. */
  startReporting(): void {
    this.#timers.push(setInterval(() => this.#pushStats(), STATS_PUSH_MS), setInterval(() => this.#pushLoad(), LOAD_PUSH_MS));
  }

  handle(msg: HostMessage): void {
    switch (msg.t) {
      case 'create':
        void this.#create(msg.id, msg.callId, msg.opts);
        return;
      case 'request':
        void this.#request(msg.id, msg.callId, msg.req);
        return;
      case 'command':
        this.#command(msg.callId, msg.cmd);
        return;
      case 'shutdown':
        void this.shutdown().then(() => this.post({ t: 'reply', id: msg.id, ok: true, value: undefined }));
        return;
      case 'heap': {
        // V8 flags are per process: with --expose-gc every worker thread has gc() too.
        (globalThis as { gc?: () => void }).gc?.();
        this.post({ t: 'reply', id: msg.id, ok: true, value: getHeapStatistics().used_heap_size });
        return;
      }
    }
  }

  async shutdown(): Promise<void> {
    for (const t of this.#timers.splice(0)) clearInterval(t);
    await this.engine.close();
    this.#calls.clear();
  }

  async #create(id: number, callId: string, opts: CreateOptions = {}): Promise<void> {
    try {
      const media = await this.engine.createCallMedia({ ...opts, callId });
      this.#calls.set(callId, media);
      for (const event of CALL_MEDIA_EVENTS) {
        media.on(event, (...args: CallMediaEvents[typeof event]) => this.post({ t: 'event', callId, event, args }));
      }
      this.post({ t: 'reply', id, ok: true, value: undefined, mirror: { callerHasTelephoneEvent: media.callerHasTelephoneEvent } });
    } catch (err) {
      this.post({ t: 'reply', id, ok: false, error: toWire(err) });
    }
  }

  async #request(id: number, callId: string, req: CallRequest): Promise<void> {
    const media = this.#calls.get(callId);
    if (media === undefined) {
      // A close of a call this worker never had (or already closed) succeeds: close is idempotent.
      if (req.op === 'close') this.post({ t: 'reply', id, ok: true, value: undefined });
      else this.post({ t: 'reply', id, ok: false, error: { kind: 'state', name: 'CallMediaStateError', message: `no media for call ${callId}` } });
      return;
    }
    try {
      const value = await this.#perform(media, req);
      if (req.op === 'close') {
        // Its final counters go first: the main thread reads them once the close is answered.
        this.post({ t: 'stats', calls: [[callId, media.stats()]] });
        this.#calls.delete(callId);
      }
      this.post({ t: 'reply', id, ok: true, value, mirror: { callerHasTelephoneEvent: media.callerHasTelephoneEvent } });
    } catch (err) {
      this.post({ t: 'reply', id, ok: false, error: toWire(err) });
    }
  }

  #perform(media: CallMedia, req: CallRequest): unknown {
    switch (req.op) {
      case 'answerCaller':
        return media.answerCaller(req.offer);
      case 'offerToCaller':
        return media.offerToCaller(req.codecs);
      case 'acceptCallerAnswer':
        return media.acceptCallerAnswer(req.answer);
      case 'play':
        return media.play(req.prompt);
      case 'playAndCollect':
        return media.playAndCollect(req.prompt, req.opts);
      case 'bridgeLocal':
        return media.bridgeLocal();
      case 'bridgeReady':
        return media.bridgeReady();
      case 'connectBridge':
        return media.connectBridge(req.roomJid, req.remote, req.audio, req.sources);
      case 'restartBridge':
        return media.restartBridge(req.remote);
      case 'close':
        return media.close();
    }
  }

  #command(callId: string, cmd: CallCommand): void {
    const media = this.#calls.get(callId);
    if (media === undefined) return;
    try {
      switch (cmd.op) {
        case 'addBridgeCandidates':
          media.addBridgeCandidates(cmd.candidates);
          return;
        case 'disconnectBridge':
          media.disconnectBridge();
          return;
        case 'setRemoteSources':
          media.setRemoteSources(cmd.sources);
          return;
        case 'setMuted':
          media.setMuted(cmd.muted);
          return;
        case 'pushCallerDigit':
          media.pushCallerDigit(cmd.digit);
          return;
        case 'stopPrompt':
          media.stopPrompt();
          return;
        case 'sendDtmfToCaller':
          media.sendDtmfToCaller(cmd.digit);
          return;
      }
    } catch (err) {
      this.log.warn({ err, callId, op: cmd.op }, 'media command failed');
    }
  }

  #pushStats(): void {
    if (this.#calls.size === 0) return;
    this.post({ t: 'stats', calls: [...this.#calls].map(([id, m]) => [id, m.stats()]) });
  }

  #pushLoad(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.#elu).utilization;
    this.#elu = now;
    const s = this.engine.stats();
    this.post({ t: 'load', load: { calls: s.calls, rooms: s.rooms, busy, lateTicks: s.clock.lateTicks, skippedTicks: s.clock.skippedTicks } });
  }
}
