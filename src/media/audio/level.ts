/**
 * Audio level as RFC 6464 carries it (0..127 = 0..-127 dBov, 127 also meaning silence) and a
 * small energy-based voice-activity decision for the V bit and for "who is talking".
 *
 * dBov here is relative to the RMS of a full-scale square wave (32768), the convention browsers
 * and the JVB use, so a full-scale sine reads 3.
 */

/** RMS of `pcm[0..n)`; a plain loop over the typed array (no per-sample closures). */
export function rms(pcm: Int16Array, n = pcm.length): number {
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = pcm[i]!;
    sum += v * v;
  }
  return Math.sqrt(sum / n);
}

/** RFC 6464 level of one frame: round(-dBov) clamped to 0..127. */
export function audioLevel(pcm: Int16Array, n = pcm.length): number {
  const r = rms(pcm, n);
  if (r <= 0) return 127;
  const level = Math.round(-20 * Math.log10(r / 32768));
  return level < 0 ? 0 : level > 127 ? 127 : level;
}

export interface VoiceActivityOptions {
  /** Frames at or below this level (i.e. louder than -threshold dBov) count as speech. */
  thresholdLevel?: number;
  /** Frames that keep the decision "speech" after the level drops (20 ms each). */
  hangoverFrames?: number;
}

/**
 * Energy detector with hangover: speech starts on the first loud frame and ends only after
 * `hangoverFrames` quiet ones, so word gaps do not flap the V bit or the dominant speaker.
 */
export class VoiceActivityDetector {
  readonly #threshold: number;
  readonly #hangover: number;
  #quietFrames: number;
  #active = false;

  constructor(options: VoiceActivityOptions = {}) {
    this.#threshold = options.thresholdLevel ?? 50;
    this.#hangover = options.hangoverFrames ?? 10;
    this.#quietFrames = this.#hangover;
  }

  /** Feeds one frame's RFC 6464 level; returns the voice decision for that frame. */
  update(level: number): boolean {
    if (level <= this.#threshold) {
      this.#quietFrames = 0;
      this.#active = true;
    } else if (this.#active && ++this.#quietFrames > this.#hangover) {
      this.#active = false;
    }
    return this.#active;
  }

  get active(): boolean {
    return this.#active;
  }

  reset(): void {
    this.#active = false;
    this.#quietFrames = this.#hangover;
  }
}

/** Level + VAD for one outgoing stream: what goes into the ssrc-audio-level extension. */
export class LevelMeter {
  readonly #vad: VoiceActivityDetector;
  level = 127;
  voice = false;

  constructor(options: VoiceActivityOptions = {}) {
    this.#vad = new VoiceActivityDetector(options);
  }

  /** Measures one frame; read `level` and `voice` afterwards. */
  measure(pcm: Int16Array, n = pcm.length): void {
    this.level = audioLevel(pcm, n);
    this.voice = this.#vad.update(this.level);
  }
}
