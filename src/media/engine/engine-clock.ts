/**
 * The one 20 ms clock of the media engine. Every room and call ticks from it, so that a process
 * with a hundred calls runs one timer, not a hundred, and every mix of a room sees the same frame.
 *
 * Drift-free: slot k is due at base + k × slot length on the monotonic clock (performance.now(),
 * hrtime-based), and each timer is set for the time left until the next due slot, so lateness
 * never accumulates. A late timer runs the overdue slots back to back; after a stall of more than
 * `maxCatchUpTicks` periods (a blocked event loop) the missed slots are counted and skipped
 * rather than burst out, because a burst of frames only overflows the receivers' jitter buffers.
 *
 * Phases: the period is cut into `phases` slots and each member ticks once per period in the
 * slot it was given (the least crowded one). Spreading rooms over the period keeps the event loop
 * free every few milliseconds, so arriving packets are read (and time-stamped for the jitter
 * estimate) promptly instead of waiting behind every call's encode, and output leaves evenly.
 *
 * Nothing is allocated per tick: member lists are copy-on-write (adding or removing a member,
 * which is rare, builds a new array, so a member may even leave from inside its own tick), and
 * the timer is one of a handful of Timeout objects, one per whole-millisecond delay, re-armed
 * with refresh() instead of a new setTimeout() every slot.
 */
import { performance } from 'node:perf_hooks';

export interface ClockMember {
  /** One 20 ms step; `nowMs` is the monotonic time the tick runs at. */
  tick(nowMs: number): void;
  /**
   * After a stall, `periods` ticks were dropped: a member that buffers input should drop as
   * many frames, or the stall stays in its latency until its buffers shrink.
   */
  skipped?(periods: number): void;
}

export interface EngineClockOptions {
  periodMs?: number;
  /** Slots per period (1 = everyone at once). */
  phases?: number;
  maxCatchUpTicks?: number;
  now?: () => number;
  /** Where a member's exception goes; the clock and the other members keep running. */
  onError?: (err: unknown) => void;
}

export interface EngineClockStats {
  /** Periods run. */
  ticks: number;
  /** Slots that ran more than one slot length after they were due. */
  lateTicks: number;
  /** Periods dropped after stalls. */
  skippedTicks: number;
  /** Worst lateness seen, ms. */
  maxLagMs: number;
  /** Time spent inside ticks, ms (for the load figure). */
  busyMs: number;
}

const MAX_CACHED_DELAY_MS = 64;

export class EngineClock {
  readonly periodMs: number;
  readonly #slotMs: number;
  readonly #maxCatchUpMs: number;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  #slots: ReadonlyArray<readonly ClockMember[]>;
  #timer: NodeJS.Timeout | undefined;
  /** Reusable timers by delay in whole milliseconds. */
  #timers: Array<NodeJS.Timeout | undefined> = [];
  #running = false;
  #nextMs = 0;
  #slot = 0;
  #skippedSlots = 0;
  readonly #stats: EngineClockStats = { ticks: 0, lateTicks: 0, skippedTicks: 0, maxLagMs: 0, busyMs: 0 };

  constructor(options: EngineClockOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    const phases = Math.max(1, Math.floor(options.phases ?? 1));
    this.#slotMs = this.periodMs / phases;
    this.#maxCatchUpMs = this.periodMs * (options.maxCatchUpTicks ?? 3);
    this.#now = options.now ?? (() => performance.now());
    this.#onError = options.onError ?? (() => {});
    this.#slots = Array.from({ length: phases }, () => []);
  }

  get running(): boolean {
    return this.#running;
  }

  get memberCount(): number {
    return this.#slots.reduce((n, s) => n + s.length, 0);
  }

  stats(): EngineClockStats {
    return { ...this.#stats, skippedTicks: Math.floor(this.#skippedSlots / this.#slots.length) };
  }

  /** Adds a member in the least crowded slot; the clock starts with its first member. */
  add(member: ClockMember): void {
    if (this.#slots.some((s) => s.includes(member))) return;
    let best = 0;
    for (let i = 1; i < this.#slots.length; i++) if (this.#slots[i]!.length < this.#slots[best]!.length) best = i;
    this.#slots = this.#slots.map((s, i) => (i === best ? [...s, member] : s));
    if (!this.#running) {
      this.#running = true;
      this.#nextMs = this.#now() + this.#slotMs;
      this.#arm(this.#slotMs);
    }
  }

  /** Removes a member; the clock stops with its last one. */
  remove(member: ClockMember): void {
    if (!this.#slots.some((s) => s.includes(member))) return;
    this.#slots = this.#slots.map((s) => (s.includes(member) ? s.filter((m) => m !== member) : s));
    if (this.memberCount === 0) this.stop();
  }

  /** Stops ticking (members are kept; add() of a new member starts it again). */
  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    // A cleared Timeout is not re-armed: a restart builds fresh ones.
    this.#timers = [];
  }

  #arm(delayMs: number): void {
    // Whole milliseconds (what libuv timers have anyway); a slot run up to 1 ms early is fine.
    const ms = delayMs > 0 ? Math.round(delayMs) : 0;
    if (ms >= MAX_CACHED_DELAY_MS) {
      this.#timer = setTimeout(this.#fire, ms);
      return;
    }
    const cached = this.#timers[ms];
    this.#timer = cached === undefined ? (this.#timers[ms] = setTimeout(this.#fire, ms)) : cached.refresh();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    let now = this.#now();
    const lag = now - this.#nextMs;
    if (lag > this.#stats.maxLagMs) this.#stats.maxLagMs = lag;
    if (lag > this.#maxCatchUpMs) {
      // Skip whole periods, so every member keeps its place in the period.
      const periods = Math.floor((lag - this.#maxCatchUpMs) / this.periodMs) + 1;
      this.#skippedSlots += periods * this.#slots.length;
      this.#nextMs += periods * this.periodMs;
      this.#notifySkipped(periods);
    }
    // Timers fire up to a millisecond early or late: run what is due within that millisecond.
    while (this.#running && this.#nextMs <= now + 1) {
      if (now - this.#nextMs > this.#slotMs) this.#stats.lateTicks++;
      this.#runSlot(now);
      this.#nextMs += this.#slotMs;
      now = this.#now();
    }
    if (this.#running) this.#arm(this.#nextMs - now);
  };

  #notifySkipped(periods: number): void {
    for (const slot of this.#slots) {
      for (const member of slot) {
        try {
          member.skipped?.(periods);
        } catch (err) {
          this.#onError(err);
        }
      }
    }
  }

  #runSlot(now: number): void {
    const members = this.#slots[this.#slot]!;
    for (let i = 0; i < members.length; i++) {
      try {
        members[i]!.tick(now);
      } catch (err) {
        this.#onError(err);
      }
    }
    this.#slot = (this.#slot + 1) % this.#slots.length;
    if (this.#slot === 0) this.#stats.ticks++;
    this.#stats.busyMs += this.#now() - now;
  }
}
