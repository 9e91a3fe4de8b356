/**
 * Watches for the caller's RTP going quiet. packet() is on the per-packet path, so it only stores
 * a time; one timer checks the deadline and re-arms itself for the remaining time, instead of being
 * reset for every packet.
 */

/**
 * A check that runs this much later than it was due ran after the process itself was stalled
 * (a paused VM, a long GC): packets that came during the stall are still unread in the socket,
 * so the verdict waits for one more turn of the event loop.
 */
const STALL_MS = 250;
const RECHECK_AFTER_STALL_MS = 50;

export interface MediaTimeoutOptions {
  timeoutMs: number;
  onTimeout: () => void;
  onResumed: () => void;
  now?: () => number;
}

export class MediaTimeoutWatch {
  readonly #timeoutMs: number;
  readonly #onTimeout: () => void;
  readonly #onResumed: () => void;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #armed = false;
  #timedOut = false;
  #lastMs = 0;
  #dueMs = 0;

  constructor(options: MediaTimeoutOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#onTimeout = options.onTimeout;
    this.#onResumed = options.onResumed;
    this.#now = options.now ?? (() => performance.now());
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  /**
   * Starts (or stops) watching. Arming counts from now: the caller gets the whole timeout to send
   * its first packet after the answer or after an unhold.
   */
  arm(armed: boolean): void {
    if (armed === this.#armed || this.#timeoutMs <= 0) return;
    this.#armed = armed;
    this.#clear();
    if (armed) {
      this.#lastMs = this.#now();
      // Still timed out from before a hold: the next packet reports the resumption and re-arms.
      if (!this.#timedOut) this.#schedule(this.#timeoutMs);
    }
  }

  /** Records a valid packet; reports the resumption after a timeout. */
  packet(nowMs: number): void {
    this.#lastMs = nowMs;
    if (this.#timedOut) {
      this.#timedOut = false;
      if (this.#armed) this.#schedule(this.#timeoutMs);
      this.#onResumed();
    }
  }

  close(): void {
    this.#armed = false;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#clear();
    this.#dueMs = this.#now() + ms;
    this.#timer = setTimeout(this.#check, ms);
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    if (!this.#armed) return;
    const now = this.#now();
    if (now - this.#dueMs > STALL_MS) {
      this.#schedule(RECHECK_AFTER_STALL_MS);
      return;
    }
    const silentFor = now - this.#lastMs;
    if (silentFor >= this.#timeoutMs) {
      // No timer while timed out: the next packet re-arms it.
      this.#timedOut = true;
      this.#onTimeout();
    } else {
      this.#schedule(this.#timeoutMs - silentFor);
    }
  };
}
