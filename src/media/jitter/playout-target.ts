/**
 * The jitter buffer's target depth in frames: minDelay + factor × jitter, rounded up to whole
 * frames and capped. It rises at once when jitter rises (a late packet costs audio now) and falls
 * by one frame at a time: the first step only after the lower wish has held for `shrinkAfterMs`
 * (flapping would cost glitches, and a network that spikes now and then spikes again soon), the
 * next ones every `stepAfterMs` while the wish stays lower (a spike gone for good should not
 * leave its latency behind for many seconds).
 */
export interface PlayoutTargetOptions {
  frameMs: number;
  minFrames: number;
  maxFrames: number;
  jitterFactor: number;
  shrinkAfterMs: number;
  /** Between further steps down once the first was taken; defaults to shrinkAfterMs. */
  stepAfterMs?: number;
}

export class PlayoutTarget {
  readonly #o: PlayoutTargetOptions;
  #frames: number;
  #lowerSince = -1;
  /** A step down was taken and the wish has stayed lower since. */
  #stepping = false;

  constructor(options: PlayoutTargetOptions) {
    this.#o = options;
    this.#frames = options.minFrames;
  }

  get frames(): number {
    return this.#frames;
  }

  /** Re-evaluates the target from the current jitter estimate at time `nowMs`. */
  update(jitterMs: number, nowMs: number): void {
    const o = this.#o;
    const wantMs = o.minFrames * o.frameMs + o.jitterFactor * jitterMs;
    // A twentieth of a frame of slack: the jitter estimate decays towards zero without reaching
    // it, and a millisecond of it should not hold a whole extra frame for seconds.
    let want = Math.ceil(wantMs / o.frameMs - 0.05);
    if (want > o.maxFrames) want = o.maxFrames;
    if (want < o.minFrames) want = o.minFrames;
    if (want > this.#frames) {
      this.#frames = want;
      this.#lowerSince = -1;
      this.#stepping = false;
    } else if (want < this.#frames) {
      if (this.#lowerSince < 0) this.#lowerSince = nowMs;
      else if (nowMs - this.#lowerSince >= (this.#stepping ? (o.stepAfterMs ?? o.shrinkAfterMs) : o.shrinkAfterMs)) {
        this.#frames--;
        this.#lowerSince = nowMs;
        this.#stepping = true;
      }
    } else {
      this.#lowerSince = -1;
      this.#stepping = false;
    }
  }
}
