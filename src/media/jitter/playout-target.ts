/**
 * The jitter buffer's target depth in frames: minDelay + factor × jitter, rounded up to whole
 * frames and capped. It rises at once when jitter rises (a late packet costs audio now) and falls
 * by one frame at a time, each step only after the lower wish has held for `shrinkAfterMs` (a
 * too-deep buffer only costs a little latency, and flapping would cost glitches).
 */
export interface PlayoutTargetOptions {
  frameMs: number;
  minFrames: number;
  maxFrames: number;
  jitterFactor: number;
  shrinkAfterMs: number;
}

export class PlayoutTarget {
  readonly #o: PlayoutTargetOptions;
  #frames: number;
  #lowerSince = -1;

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
    let want = Math.ceil(wantMs / o.frameMs - 1e-9);
    if (want > o.maxFrames) want = o.maxFrames;
    if (want < o.minFrames) want = o.minFrames;
    if (want > this.#frames) {
      this.#frames = want;
      this.#lowerSince = -1;
    } else if (want < this.#frames) {
      if (this.#lowerSince < 0) this.#lowerSince = nowMs;
      else if (nowMs - this.#lowerSince >= o.shrinkAfterMs) {
        this.#frames--;
        this.#lowerSince = nowMs;
      }
    } else {
      this.#lowerSince = -1;
    }
  }
}
