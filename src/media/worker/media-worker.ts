import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { CallMediaStats } from '../call-media.js';
import type { CallCommand, CallEventName, CallMirror, CallRequest, CreateOptions, FromWorker, ToWorker, WorkerInit, WorkerLoad } from './protocol.js';
import { fromWire, MediaWorkerDiedError } from './worker-errors.js';

/** What a worker thread tells the call proxies it serves. */
export interface WorkerCallSink {
  event(event: CallEventName, args: unknown[]): void;
  stats(stats: CallMediaStats): void;
  mirror(m: CallMirror): void;
  /** The worker died: the call's media is gone. */
  lost(reason: string): void;
}

type MediaWorkerEvents = {
  /** The thread ended without being asked to (an exception, out of memory, killed); `calls` were lost. */
  died: [err: Error, calls: number];
  load: [load: WorkerLoad];
};

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  sink: WorkerCallSink | undefined;
}

/** How long stop() gives the engine's shutdown and the thread's own exit, together, before terminate(). */
const STOP_WAIT_MS = 2000;

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Where a worker thread starts: the built JS, or the TypeScript sources through tsx. */
function workerEntry(): URL {
  const fromSources = import.meta.url.endsWith('.ts');
  return new URL(fromSources ? './worker-boot-ts.mjs' : './worker-main.js', import.meta.url);
}

/**
 * One media worker thread seen from the main thread: requests with their replies, the calls it
 * serves (their events and counters go to their proxies), its load, and its death.
 */
export class MediaWorker extends TypedEmitter<MediaWorkerEvents> {
  readonly thread: Worker;
  readonly #log: Logger;
  readonly #pending = new Map<number, Pending>();
  readonly #calls = new Map<string, WorkerCallSink>();
  readonly #ready: Promise<void>;
  #nextId = 1;
  #load: WorkerLoad = { calls: 0, rooms: 0, busy: 0, lateTicks: 0, skippedTicks: 0 };
  #stopping = false;
  #dead: Error | undefined;
  #isReady = false;

  constructor(
    readonly index: number,
    init: Omit<WorkerInit, 'index'>,
    log: Logger,
  ) {
    super();
    this.#log = log.child({ worker: index });
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'media worker listener threw'));
    this.thread = new Worker(workerEntry(), { workerData: { ...init, index } satisfies WorkerInit });
    this.#ready = new Promise<void>((resolve, reject) => {
      const onReady = (m: FromWorker): void => {
        if (m.t !== 'ready') return;
        this.thread.off('message', onReady);
        this.#isReady = true;
        resolve();
      };
      this.thread.on('message', onReady);
      this.thread.once('exit', () => reject(this.#dead ?? new MediaWorkerDiedError(index, 'exited before it was ready')));
    });
    this.#ready.catch(() => undefined);
    this.thread.on('message', (m: FromWorker) => this.#onMessage(m));
    this.thread.on('error', (err) => {
      this.#dead ??= new MediaWorkerDiedError(index, err.message);
    });
    this.thread.on('exit', (code) => this.#onExit(code));
  }

  /** Resolves once the engine in the thread is up (prompts loaded, clock ready). */
  ready(): Promise<void> {
    return this.#ready;
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Alive and its engine up. */
  get serving(): boolean {
    return this.#isReady && this.#dead === undefined;
  }

  get calls(): number {
    return this.#calls.size;
  }

  get load(): WorkerLoad {
    return this.#load;
  }

  /** Opens a call's media in this worker; `sink` receives what the worker says about the call. */
  async create(callId: string, sink: WorkerCallSink, opts: CreateOptions = {}): Promise<void> {
    this.#calls.set(callId, sink);
    try {
      await this.#request({ t: 'create', id: this.#nextId++, callId, opts }, sink);
    } catch (err) {
      this.#calls.delete(callId);
      throw err;
    }
  }

  request(callId: string, req: CallRequest): Promise<unknown> {
    const reply = this.#request({ t: 'request', id: this.#nextId++, callId, req }, this.#calls.get(callId));
    if (req.op === 'close') return reply.finally(() => this.#calls.delete(callId));
    return reply;
  }

  command(callId: string, cmd: CallCommand): void {
    if (this.#dead === undefined) this.#post({ t: 'command', callId, cmd });
  }

  /** The thread's live heap in bytes (after a full GC when the process runs with --expose-gc). */
  async heapUsed(): Promise<number> {
    return (await this.#request({ t: 'heap', id: this.#nextId++ }, undefined)) as number;
  }

  /**
   * Closes the engine in the thread (every call's sockets), then has the thread end itself;
   * terminate() only for a thread that does not answer (see the 'exit' message).
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#dead === undefined) {
      const exited = new Promise<boolean>((resolve) => {
        this.thread.once('exit', () => resolve(true));
        setTimeout(() => resolve(false), STOP_WAIT_MS).unref();
      });
      const shutDown = this.#request({ t: 'shutdown', id: this.#nextId++ }, undefined).catch(() => undefined);
      await Promise.race([shutDown, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
      if (this.#dead === undefined) this.#post({ t: 'exit', code: 0 });
      if (await exited) return;
    }
    await this.thread.terminate();
  }

  #request(msg: ToWorker & { id: number }, sink: WorkerCallSink | undefined): Promise<unknown> {
    if (this.#dead !== undefined) return Promise.reject(this.#dead);
    return new Promise((resolve, reject) => {
      this.#pending.set(msg.id, { resolve, reject, sink });
      this.#post(msg);
    });
  }

  #post(msg: ToWorker): void {
    this.thread.postMessage(msg);
  }

  #onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'reply': {
        const p = this.#pending.get(m.id);
        if (p === undefined) return;
        this.#pending.delete(m.id);
        if (m.ok) {
          if (m.mirror !== undefined) p.sink?.mirror(m.mirror);
          p.resolve(m.value);
        } else {
          p.reject(fromWire(m.error));
        }
        return;
      }
      case 'event':
        this.#calls.get(m.callId)?.event(m.event, m.args);
        return;
      case 'stats':
        for (const [callId, st] of m.calls) this.#calls.get(callId)?.stats(st);
        return;
      case 'load':
        this.#load = m.load;
        this.emit('load', m.load);
        return;
      case 'log':
        this.#relayLog(m.line);
        return;
      case 'ready':
        return;
    }
  }

  /** Writes a worker's log line with the main logger (so it goes where every other line goes). */
  #relayLog(line: string): void {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.#log.warn({ line: line.slice(0, 500) }, 'unreadable log line from a media worker');
      return;
    }
    const { level, msg, time: _time, service: _service, pid: _pid, hostname: _hostname, ...fields } = rec;
    const method = LEVELS[typeof level === 'number' ? level : 30] ?? 'info';
    this.#log[method](fields, typeof msg === 'string' ? msg : '');
  }

  #onExit(code: number): void {
    const err = this.#dead ?? new MediaWorkerDiedError(this.index, `thread exited with code ${code}`);
    this.#dead = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    const calls = [...this.#calls.values()];
    this.#calls.clear();
    if (this.#stopping) return;
    this.#log.error({ err, calls: calls.length }, 'media worker died; ending its calls');
    for (const sink of calls) sink.lost(err.message);
    this.emit('died', err, calls.length);
  }
}
