/**
 * A 20 ms ticker for the endpoint's own pacing (prompts, pulling decoded audio, DTMF with no
 * audio to ride on). It schedules each tick against the start time rather than the previous tick,
 * so timer lateness does not accumulate into drift; after a long stall (a blocked event loop) it
 * catches up by at most a few ticks and then starts over from now instead of bursting.
 */

const MAX_CATCH_UP_TICKS = 3;

export class FrameClock {
  readonly #onTick: (nowMs: number) => void;
  readonly #periodMs: number;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #nextMs = 0;
  #running = false;

  constructor(onTick: (nowMs: number) => void, periodMs = 20, now: () => number = () => performance.now()) {
    this.#onTick = onTick;
    this.#periodMs = periodMs;
    this.#now = now;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Starts ticking; the first tick comes at once. Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#nextMs = this.#now();
    this.#schedule(0);
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(this.#fire, delayMs > 0 ? delayMs : 0);
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    let now = this.#now();
    if (now - this.#nextMs > this.#periodMs * MAX_CATCH_UP_TICKS) this.#nextMs = now - this.#periodMs * MAX_CATCH_UP_TICKS;
    // Ticks due within a millisecond run now: timers fire up to 1 ms early or late.
    while (this.#running && this.#nextMs <= now + 1) {
      this.#onTick(now);
      this.#nextMs += this.#periodMs;
      now = this.#now();
    }
    if (this.#running) this.#schedule(this.#nextMs - now);
  };
}
