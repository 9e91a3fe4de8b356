/**
 * Noise suppression of one caller's audio with RNNoise, on the engine's 20 ms frames.
 *
 * RNNoise works on 10 ms of 48 kHz: each 20 ms frame of the caller (8 or 16 kHz, the codec's
 * rate) is brought up to 48 kHz, denoised as two RNNoise frames, and brought back down, in place.
 * The frame size tells the rate, so a codec change in a re-INVITE (G.711 ↔ G.722) is followed
 * by starting the filters and RNNoise afresh at the new rate.
 *
 * Cost (bench/noise.ts): RNNoise's own two frames dominate; the rate conversion is a few per cent.
 */
import { Downsampler, Upsampler } from './rate-converter.js';
import { RNNOISE_FRAME, RNNOISE_RATE, rnnoiseModule, type RnnoiseModule } from './rnnoise.js';

/** What the engine runs on a caller's frame before it is encoded (CallerAudioFilter). */
export interface CallerAudioFilter {
  /** Processes one 20 ms frame in place. */
  process(frame: Int16Array): void;
  /** Frames processed so far. */
  readonly frames: number;
  close(): void;
}

const FRAME_MS = 20;
const HIGH_SAMPLES = (RNNOISE_RATE * FRAME_MS) / 1000;

interface RateState {
  samples: number;
  up: Upsampler;
  down: Downsampler;
}

export class NoiseSuppressor implements CallerAudioFilter {
  readonly #wasm: RnnoiseModule;
  readonly #high = new Float32Array(HIGH_SAMPLES);
  /** One RNNoise frame of floats in the module's heap, denoised in place. */
  readonly #buffer: number;
  #state: number;
  #rate: RateState | undefined;
  #frames = 0;
  #closed = false;

  constructor(wasm: RnnoiseModule = rnnoiseModule()) {
    this.#wasm = wasm;
    this.#state = wasm._rnnoise_create(0);
    this.#buffer = wasm._malloc(RNNOISE_FRAME * 4);
  }

  get frames(): number {
    return this.#frames;
  }

  process(frame: Int16Array): void {
    if (this.#closed) return;
    const rate = this.#rateFor(frame.length);
    if (rate === undefined) return;
    const high = this.#high;
    rate.up.process(frame, high);
    const wasm = this.#wasm;
    const at = this.#buffer >> 2;
    for (let off = 0; off < HIGH_SAMPLES; off += RNNOISE_FRAME) {
      // Read the heap view each time: it is replaced when the module's memory grows.
      wasm.HEAPF32.set(high.subarray(off, off + RNNOISE_FRAME), at);
      wasm._rnnoise_process_frame(this.#state, this.#buffer, this.#buffer);
      high.set(wasm.HEAPF32.subarray(at, at + RNNOISE_FRAME), off);
    }
    rate.down.process(high, frame);
    this.#frames++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wasm._rnnoise_destroy(this.#state);
    this.#wasm._free(this.#buffer);
  }

  /** The converters for this frame size; undefined for a size that is no 20 ms of 8/16 kHz (left alone). */
  #rateFor(samples: number): RateState | undefined {
    const current = this.#rate;
    if (current !== undefined && current.samples === samples) return current;
    const factor = HIGH_SAMPLES / samples;
    if (factor !== 3 && factor !== 6) return undefined;
    if (current !== undefined) {
      // A new rate: RNNoise's state describes the old signal.
      this.#wasm._rnnoise_destroy(this.#state);
      this.#state = this.#wasm._rnnoise_create(0);
    }
    this.#rate = { samples, up: new Upsampler(factor), down: new Downsampler(factor) };
    return this.#rate;
  }
}
