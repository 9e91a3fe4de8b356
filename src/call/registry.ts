import type { JingleReasonCondition } from '../xmpp/jingle/build.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { CallSnapshot } from './call-snapshot.js';

/** What the registry needs to know of a call; the Call class implements it. */
export interface RegisteredCall {
  readonly id: string;
  /** Room bare JID once known. */
  readonly roomJid: string | undefined;
  /**
   * Nicks of the people in its room as the call sees them, the call's own included and the focus
   * left out; empty while it is not in the room. The brewery's `participants` counts these, once
   * per room however many of our calls share it.
   */
  readonly roomOccupants: readonly string[];
  /** Its SIP leg is gone but the call did not close (see CallBase.orphaned). */
  readonly orphaned: boolean;
  /** A read-only picture of the call for GET /calls. */
  snapshot(): CallSnapshot;
  close(reason: CloseReason): Promise<void>;
}

/** How a reaped call is closed: a lost SIP event is a bug of ours, not the caller's doing. */
export const ORPHAN_REASON: CloseReason = { cls: 'internal_error', cause: 'sip-leg-gone' };

export type TerminationClass = 'normal' | 'caller_error' | 'upstream_error' | 'timeout' | 'internal_error' | 'rejected';

export interface CloseReason {
  cls: TerminationClass;
  /** Short machine-readable cause, e.g. 'caller-bye', 'kicked', 'no-session-initiate'. */
  cause: string;
  /** SIP status to use when the caller's leg is still unanswered. */
  sipStatus?: number;
  /** The condition our session-terminate carries; by default success for a normal end, else general-error. */
  jingleReason?: JingleReasonCondition;
}

export type AdmissionRefusal = { refused: true; status: 503; reason: 'draining' | 'capacity' };

export interface RegistryStats {
  /** Rooms our calls are in. */
  conferences: number;
  /** People in those rooms (our callers and everyone else, the focus left out), each counted once. */
  participants: number;
  calls: number;
  stressLevel: number;
  gracefulShutdown: boolean;
  totalCalls: number;
  totalCompleted: number;
  totalFailed: number;
  conferenceSizes: number[];
}

type RegistryEvents = {
  changed: [];
  drained: [];
  /** A call was found orphaned and is being closed. */
  reaped: [call: RegisteredCall];
};

/**
 * Owns every live call: capacity, drain state, lookups and the numbers the brewery presence,
 * /about/stats and /metrics report. Calls are added when admitted and removed when closed.
 */
export class CallRegistry extends TypedEmitter<RegistryEvents> {
  readonly #calls = new Map<string, RegisteredCall>();
  #draining = false;
  #totalCalls = 0;
  #totalCompleted = 0;
  #totalFailed = 0;
  #reaper: NodeJS.Timeout | undefined;

  constructor(private readonly maxCalls: number) {
    super();
  }

  /**
   * Sweeps the calls every `intervalMs` and closes the orphaned ones, so that a lost SIP event
   * can hold a slot and a meeting seat for at most one interval. Stops with stopReaper().
   */
  startReaper(intervalMs: number): void {
    if (this.#reaper !== undefined) return;
    this.#reaper = setInterval(() => this.reapOrphans(), intervalMs);
    this.#reaper.unref();
  }

  stopReaper(): void {
    clearInterval(this.#reaper);
    this.#reaper = undefined;
  }

  /** Closes every orphaned call now; returns how many there were. */
  reapOrphans(): number {
    let n = 0;
    for (const call of this.#calls.values()) {
      if (!call.orphaned) continue;
      n++;
      this.emit('reaped', call);
      void call.close(ORPHAN_REASON);
    }
    return n;
  }

  get draining(): boolean {
    return this.#draining;
  }

  get size(): number {
    return this.#calls.size;
  }

  /** Whether a new call may start now; the SIP layer answers a refusal with 503. */
  admission(): AdmissionRefusal | { refused: false } {
    if (this.#draining) return { refused: true, status: 503, reason: 'draining' };
    if (this.#calls.size >= this.maxCalls) return { refused: true, status: 503, reason: 'capacity' };
    return { refused: false };
  }

  add(call: RegisteredCall): void {
    if (this.#calls.has(call.id)) throw new Error(`call ${call.id} is already registered`);
    this.#calls.set(call.id, call);
    this.#totalCalls++;
    this.emit('changed');
  }

  /** Called once per call when it has closed. */
  remove(id: string, cls: TerminationClass): void {
    if (!this.#calls.delete(id)) return;
    if (cls === 'normal') this.#totalCompleted++;
    else this.#totalFailed++;
    this.emit('changed');
    if (this.#draining && this.#calls.size === 0) this.emit('drained');
  }

  /** Occupant counts changed inside a call (someone joined or left its room). */
  touch(): void {
    this.emit('changed');
  }

  get(id: string): RegisteredCall | undefined {
    return this.#calls.get(id);
  }

  all(): RegisteredCall[] {
    return [...this.#calls.values()];
  }

  startDrain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.emit('changed');
    if (this.#calls.size === 0) this.emit('drained');
  }

  /** Closes every call (with the same reason), waiting for all of them. */
  async closeAll(reason: CloseReason): Promise<void> {
    await Promise.allSettled(this.all().map((c) => c.close(reason)));
  }

  stats(): RegistryStats {
    // Several calls in one room see each other: a per-call sum would count each caller once per
    // call in the room. A room's people are the union of what its calls see.
    const rooms = new Map<string, Set<string>>();
    for (const c of this.#calls.values()) {
      if (c.roomJid === undefined) continue;
      const key = c.roomJid.toLowerCase();
      const people = rooms.get(key) ?? new Set<string>();
      rooms.set(key, people);
      for (const nick of c.roomOccupants) people.add(nick);
    }
    const sizes = [...rooms.values()].map((p) => p.size);
    return {
      conferences: rooms.size,
      participants: sizes.reduce((a, b) => a + b, 0),
      calls: this.#calls.size,
      stressLevel: Math.round((this.#calls.size / this.maxCalls) * 1000) / 1000,
      gracefulShutdown: this.#draining,
      totalCalls: this.#totalCalls,
      totalCompleted: this.#totalCompleted,
      totalFailed: this.#totalFailed,
      conferenceSizes: sizes.sort((a, b) => a - b),
    };
  }
}
