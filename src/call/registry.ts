import { TypedEmitter } from '../util/typed-emitter.js';

/** What the registry needs to know of a call; the Call class implements it. */
export interface RegisteredCall {
  readonly id: string;
  /** Room bare JID once known. */
  readonly roomJid: string | undefined;
  /** Other occupants of the room (the brewery's "participants" counts these). */
  readonly remoteParticipants: number;
  close(reason: CloseReason): Promise<void>;
}

export type TerminationClass = 'normal' | 'caller_error' | 'upstream_error' | 'timeout' | 'internal_error' | 'rejected';

export interface CloseReason {
  cls: TerminationClass;
  /** Short machine-readable cause, e.g. 'caller-bye', 'kicked', 'no-session-initiate'. */
  cause: string;
  /** SIP status to use when the caller's leg is still unanswered. */
  sipStatus?: number;
}

export type AdmissionRefusal = { refused: true; status: 503; reason: 'draining' | 'capacity' };

export interface RegistryStats {
  conferences: number;
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

  constructor(private readonly maxCalls: number) {
    super();
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
    const rooms = new Map<string, number>();
    let participants = 0;
    for (const c of this.#calls.values()) {
      participants += c.remoteParticipants;
      if (c.roomJid !== undefined) rooms.set(c.roomJid, Math.max(rooms.get(c.roomJid) ?? 0, c.remoteParticipants + 1));
    }
    return {
      conferences: rooms.size,
      participants,
      calls: this.#calls.size,
      stressLevel: Math.round((this.#calls.size / this.maxCalls) * 1000) / 1000,
      gracefulShutdown: this.#draining,
      totalCalls: this.#totalCalls,
      totalCompleted: this.#totalCompleted,
      totalFailed: this.#totalFailed,
      conferenceSizes: [...rooms.values()].sort((a, b) => a - b),
    };
  }
}
