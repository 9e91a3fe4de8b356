/**
 * Plays a stored prompt to the caller in 20 ms frames at the endpoint's PCM rate, paced by its own
 * clock. One prompt at a time: a new play() replaces the one in progress.
 *
 * Outcomes of play(): resolves when the prompt has been sent to its end or was stopped by stop()
 * (a digit barging in); rejects with PromptCancelledError when superseded or when the player is
 * closed, and with the store's error for an unknown prompt.
 */
import { FrameClock } from './frame-clock.js';
import { PromptCancelledError } from './errors.js';

/** Where prompt audio comes from (PromptStore satisfies it). */
export interface PromptSource {
  /** The prompt's samples at `rate` (8000 or 16000); throws for an unknown prompt. */
  get(name: string, rate: number): Int16Array;
}

/** Where prompt frames go (the endpoint, bypassing the engine's audio while a prompt plays). */
export interface PromptSink {
  /** PCM rate of the negotiated codec. */
  readonly sampleRate: number;
  sendPromptFrame(frame: Int16Array, nowMs: number): void;
}

interface Playback {
  pcm: Int16Array;
  position: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const FRAME_MS = 20;

export class PromptPlayer {
  readonly #source: PromptSource;
  readonly #sink: PromptSink;
  readonly #clock: FrameClock;
  #frame = new Int16Array(0);
  #current: Playback | undefined;
  #closed = false;

  constructor(source: PromptSource, sink: PromptSink) {
    this.#source = source;
    this.#sink = sink;
    this.#clock = new FrameClock((now) => this.#tick(now), FRAME_MS);
  }

  get playing(): boolean {
    return this.#current !== undefined;
  }

  play(name: string): Promise<void> {
    if (this.#closed) return Promise.reject(new PromptCancelledError('closed'));
    let pcm: Int16Array;
    try {
      pcm = this.#source.get(name, this.#sink.sampleRate);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.#end(new PromptCancelledError('superseded'));
    const frameSamples = (this.#sink.sampleRate * FRAME_MS) / 1000;
    if (this.#frame.length !== frameSamples) this.#frame = new Int16Array(frameSamples);
    return new Promise<void>((resolve, reject) => {
      this.#current = { pcm, position: 0, resolve, reject };
      this.#clock.start();
    });
  }

  /** Stops the prompt in progress; its play() resolves. */
  stop(): void {
    this.#end(undefined);
  }

  /** Stops for good; a prompt in progress and any later play() reject with PromptCancelledError. */
  close(): void {
    this.#closed = true;
    this.#end(new PromptCancelledError('closed'));
  }

  #end(error: Error | undefined): void {
    const p = this.#current;
    this.#current = undefined;
    this.#clock.stop();
    if (p === undefined) return;
    if (error === undefined) p.resolve();
    else p.reject(error);
  }

  #tick(nowMs: number): void {
    const p = this.#current;
    if (p === undefined) return;
    const frame = this.#frame;
    if (p.position >= p.pcm.length) {
      // The last frame went out one tick ago and has now played: done.
      this.#end(undefined);
      return;
    }
    const n = Math.min(frame.length, p.pcm.length - p.position);
    frame.set(p.pcm.subarray(p.position, p.position + n));
    if (n < frame.length) frame.fill(0, n);
    p.position += frame.length;
    this.#sink.sendPromptFrame(frame, nowMs);
  }
}
