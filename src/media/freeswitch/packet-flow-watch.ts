/**
 * Notices a phone going quiet in FreeSWITCH mode. While FreeSWITCH bridges the phone to the
 * engine it forwards every packet the phone sends and nothing when the phone sends nothing, so
 * the engine leg's receive counter is the phone's RTP. (FreeSWITCH's own media_timeout is not
 * used: it is read when a channel's RTP starts, before the gateway gets the channel, and set
 * afterwards it did not fire in tests with FreeSWITCH 1.10.12.) A counter polled a few times a second costs nothing per packet.
 */
export interface PacketFlowWatchOptions {
  timeoutMs: number;
  /** Packets received so far (monotonic). */
  count: () => number;
  onTimeout: () => void;
  onResumed: () => void;
  pollMs?: number;
  now?: () => number;
}

export class PacketFlowWatch {
  readonly #o: PacketFlowWatchOptions;
  #timer: NodeJS.Timeout | undefined;
  #last = 0;
  #lastChangeMs = 0;
  #timedOut = false;

  constructor(opts: PacketFlowWatchOptions) {
    this.#o = opts;
  }

  get watching(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts watching (again); the phone gets the whole timeout from now. */
  start(): void {
    if (this.#o.timeoutMs <= 0 || this.#timer !== undefined) return;
    const now = this.#o.now ?? Date.now;
    this.#last = this.#o.count();
    this.#lastChangeMs = now();
    this.#timer = setInterval(() => this.#poll(now()), this.#o.pollMs ?? Math.min(250, this.#o.timeoutMs / 4));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #poll(nowMs: number): void {
    const count = this.#o.count();
    if (count !== this.#last) {
      this.#last = count;
      this.#lastChangeMs = nowMs;
      if (this.#timedOut) {
        this.#timedOut = false;
        this.#o.onResumed();
      }
      return;
    }
    if (!this.#timedOut && nowMs - this.#lastChangeMs >= this.#o.timeoutMs) {
      this.#timedOut = true;
      this.#o.onTimeout();
    }
  }
}
