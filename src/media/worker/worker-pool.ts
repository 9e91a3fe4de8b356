import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { CallMediaOptions, MediaEngine } from '../call-media.js';
import { MediaWorker } from './media-worker.js';
import type { WorkerInit, WorkerLoad } from './protocol.js';
import { RemoteCallMedia } from './remote-call-media.js';

export interface MediaWorkerPoolOptions {
  /** How many worker threads (MEDIA_WORKERS). */
  workers: number;
  /** What each worker's engine is built from; the port range is shared, each starting elsewhere. */
  init: Omit<WorkerInit, 'index'>;
  logger: Logger;
}

export interface WorkerStatus extends WorkerLoad {
  index: number;
  /** The thread runs and its engine is up. */
  serving: boolean;
  /** Calls the main thread has placed there (the load report lags by up to a second). */
  placedCalls: number;
  restarts: number;
}

type PoolEvents = {
  /** A worker died; `calls` of its calls were ended. A replacement is being started. */
  workerDied: [index: number, err: Error, calls: number];
  workerRestarted: [index: number];
};

/**
 * The media engine spread over worker threads, behind the same MediaEngine port the call layer
 * uses in-process. All callers of one room go to one worker, so the room's remote speakers are
 * decoded once and its callers mixed locally; a new room goes to the worker with the fewest calls.
 * A worker that dies ends only its own calls and is replaced at once.
 */
export class MediaWorkerPool extends TypedEmitter<PoolEvents> implements MediaEngine {
  readonly #o: MediaWorkerPoolOptions;
  readonly #log: Logger;
  readonly #workers: MediaWorker[] = [];
  readonly #restarts: number[] = [];
  /** Room → the worker its callers use, with how many calls placed for it there. */
  readonly #rooms = new Map<string, { worker: MediaWorker; calls: number }>();
  readonly #calls = new Set<RemoteCallMedia>();
  #closed = false;
  #tieStart = 0;
  #lastDeath: { index: number; at: number; reason: string } | undefined;

  constructor(opts: MediaWorkerPoolOptions) {
    super();
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`MEDIA_WORKERS must be at least 1, got ${opts.workers}`);
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'media-workers' });
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'worker pool listener threw'));
    for (let i = 0; i < opts.workers; i++) {
      this.#restarts.push(0);
      this.#workers.push(this.#spawn(i));
    }
  }

  /** Resolves when every worker's engine is up. */
  async ready(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.ready()));
  }

  get activeCalls(): number {
    return this.#calls.size;
  }

  get restarts(): number {
    return this.#restarts.reduce((a, b) => a + b, 0);
  }

  /** The last worker death, for health and stats. */
  get lastDeath(): { index: number; at: number; reason: string } | undefined {
    return this.#lastDeath;
  }

  status(): WorkerStatus[] {
    return this.#workers.map((w, i) => ({
      ...w.load,
      index: i,
      serving: w.serving,
      placedCalls: w.calls,
      restarts: this.#restarts[i] ?? 0,
    }));
  }

  /** The worker threads, for tests and diagnostics. */
  get workers(): readonly MediaWorker[] {
    return this.#workers;
  }

  async createCallMedia(opts: CallMediaOptions): Promise<RemoteCallMedia> {
    if (this.#closed) throw new Error('media engine is closed');
    const worker = this.#place(opts.roomJid);
    const room = opts.roomJid;
    if (room !== undefined) {
      const r = this.#rooms.get(room);
      if (r === undefined || r.worker !== worker) this.#rooms.set(room, { worker, calls: 1 });
      else r.calls++;
    }
    let released = false;
    const media = new RemoteCallMedia(opts.callId, worker, (m) => {
      if (released) return;
      released = true;
      this.#calls.delete(m);
      if (room !== undefined) this.#leaveRoom(room, worker);
    });
    this.#calls.add(media);
    try {
      await worker.create(opts.callId, media.sink, opts.noiseSuppression !== undefined ? { noiseSuppression: opts.noiseSuppression } : {});
    } catch (err) {
      media.sink.lost('creation failed');
      this.#calls.delete(media);
      if (!released && room !== undefined) this.#leaveRoom(room, worker);
      released = true;
      throw err;
    }
    return media;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#workers.map((w) => w.stop()));
  }

  /** The room's worker if it has one alive, else the live worker with the fewest calls. */
  #place(roomJid: string | undefined): MediaWorker {
    const r = roomJid === undefined ? undefined : this.#rooms.get(roomJid);
    if (r !== undefined && r.worker.alive && this.#workers[r.worker.index] === r.worker) return r.worker;
    // Ties go round the workers, so rooms that come one after another still spread out.
    let best: MediaWorker | undefined;
    const n = this.#workers.length;
    for (let k = 0; k < n; k++) {
      const w = this.#workers[(this.#tieStart + k) % n];
      if (w === undefined || !w.alive) continue;
      if (best === undefined || w.calls < best.calls) best = w;
    }
    if (best !== undefined) this.#tieStart = (best.index + 1) % n;
    if (best === undefined) throw Object.assign(new Error('no media worker is running'), { sipStatus: 503, metricLabel: 'media_worker_down' });
    return best;
  }

  #leaveRoom(room: string, worker: MediaWorker): void {
    const r = this.#rooms.get(room);
    if (r === undefined || r.worker !== worker) return;
    r.calls--;
    if (r.calls <= 0) this.#rooms.delete(room);
  }

  #spawn(index: number): MediaWorker {
    const init = this.#o.init;
    const { min, max } = init.engine.portRange;
    // One shared range (what the firewall opens); each worker starts its round-robin elsewhere,
    // so they rarely try the same port (a port another worker holds is skipped as busy).
    const firstPort = min === 0 ? undefined : min + Math.floor((index * (max - min + 1)) / this.#o.workers);
    const engine = { ...init.engine, ...(firstPort !== undefined ? { firstPort } : {}) };
    const w = new MediaWorker(index, { ...init, engine }, this.#o.logger.child({ component: 'media-worker' }));
    w.once('died', (err, calls) => this.#replace(index, w, err, calls));
    w.ready().catch((err: unknown) => this.#log.error({ err, worker: index }, 'media worker failed to start'));
    return w;
  }

  #replace(index: number, dead: MediaWorker, err: Error, lostCalls: number): void {
    for (const [room, r] of this.#rooms) if (r.worker === dead) this.#rooms.delete(room);
    this.#lastDeath = { index, at: Date.now(), reason: err.message };
    this.emit('workerDied', index, err, lostCalls);
    if (this.#closed) return;
    this.#restarts[index] = (this.#restarts[index] ?? 0) + 1;
    this.#log.warn({ worker: index, restarts: this.#restarts[index] }, 'starting a replacement media worker');
    const fresh = this.#spawn(index);
    this.#workers[index] = fresh;
    fresh.ready().then(
      () => this.emit('workerRestarted', index),
      () => undefined,
    );
  }
}
