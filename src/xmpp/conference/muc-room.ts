import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { classifyJoinError } from './join-outcome.js';
import type { MucPresence } from './muc-presence.js';
import type { JoinOutcome, Occupant, RemovalInfo } from './types.js';
import { waitFor } from './wait.js';

export type MucRoomState = 'idle' | 'joining' | 'joined' | 'leaving' | 'gone';

export interface MucRoomEvents extends Record<string, unknown[]> {
  occupantsChanged: [{ count: number; joined?: Occupant; left?: Occupant }];
  kicked: [RemovalInfo];
  destroyed: [{ reason?: string; alternateRoom?: string }];
}

/**
 * Our occupancy of one MUC room: the join handshake, the roster of the other occupants and the
 * ways we can be put out (kick, ban, destruction). It never reads the socket itself: the session
 * hands it the presences whose sender is this room.
 */
export class MucRoom extends TypedEmitter<MucRoomEvents> {
  readonly roomJid: string;
  #nick: string;
  #state: MucRoomState = 'idle';
  readonly #occupants = new Map<string, Occupant>();
  readonly #send: (stanza: Element) => Promise<void>;
  readonly #log: Logger;
  #settleJoin: ((outcome: JoinOutcome) => void) | undefined;
  #settleLeave: (() => void) | undefined;

  constructor(roomJid: string, nick: string, send: (stanza: Element) => Promise<void>, logger: Logger) {
    super();
    this.roomJid = roomJid;
    this.#nick = nick;
    this.#send = send;
    this.#log = logger;
  }

  get state(): MucRoomState {
    return this.#state;
  }

  get nick(): string {
    return this.#nick;
  }

  /** room@muc/nick: where our presence goes and what the room calls us. */
  get occupantJid(): string {
    return `${this.roomJid}/${this.#nick}`;
  }

  /** The other occupants (focus included). */
  get occupants(): Occupant[] {
    return [...this.#occupants.values()];
  }

  /**
   * Sends the entering presence (built by the caller, MUC `<x>` included) and resolves with what
   * the room answered. A timeout is an error outcome, not an exception.
   */
  async join(presence: Element, timeoutMs: number, signal: AbortSignal): Promise<JoinOutcome> {
    if (this.#state === 'joined' || this.#settleJoin) throw new Error(`already ${this.#state} ${this.roomJid}`);
    this.#occupants.clear();
    this.#state = 'joining';
    const answer = waitFor<JoinOutcome>(
      (settle) => {
        this.#settleJoin = settle;
        return () => {
          this.#settleJoin = undefined;
        };
      },
      timeoutMs,
      signal,
    );
    try {
      await this.#send(presence);
    } catch (err) {
      this.#log.warn({ err, room: this.roomJid }, 'sending the join presence failed');
    }
    const result = await answer;
    if (result.kind === 'value') {
      // A leave() during the join owns the state from then on.
      if (result.value.kind !== 'joined' && this.#state === 'joining') this.#reset();
      return result.value;
    }
    // Still 'joining': the room may let us in late, and a later leave() must then take us out.
    return result.kind === 'timeout'
      ? { kind: 'error', condition: 'remote-server-timeout', text: `no answer to the join within ${timeoutMs} ms` }
      : { kind: 'error', condition: 'aborted', text: 'session closed during the join' };
  }

  /** Publishes an updated presence (no effect unless we are in the room). */
  async update(presence: Element): Promise<void> {
    if (this.#state !== 'joined') return;
    await this.#send(presence);
  }

  /**
   * Leaves with an unavailable presence (status text optional) and waits, at most `timeoutMs`,
   * for the room to confirm, so whoever watches the room has seen us go when this resolves.
   */
  async leave(status: string | undefined, timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (this.#state !== 'joined' && this.#state !== 'joining') return;
    this.#settleJoin?.({ kind: 'error', condition: 'aborted', text: 'left during the join' });
    this.#state = 'leaving';
    const confirmed = waitFor<void>(
      (settle) => {
        this.#settleLeave = settle;
        return () => {
          this.#settleLeave = undefined;
        };
      },
      timeoutMs,
      signal,
    );
    const children = status !== undefined && status !== '' ? [xml('status', {}, status)] : [];
    try {
      await this.#send(xml('presence', { to: this.occupantJid, type: 'unavailable' }, ...children));
    } catch (err) {
      // Nothing will confirm a presence that never left: don't sit out the timeout.
      this.#log.debug({ err, room: this.roomJid }, 'sending the leave presence failed');
      this.#settleLeave?.();
    }
    const result = await confirmed;
    if (result.kind === 'timeout') this.#log.debug({ room: this.roomJid }, 'room did not confirm our leave');
    this.#reset();
  }

  /** Forgets the room without telling it (the connection is gone). */
  detach(): void {
    const wasJoined = this.#state === 'joined';
    this.#settleJoin?.({ kind: 'error', condition: 'aborted', text: 'connection lost during the join' });
    this.#settleLeave?.();
    this.#reset();
    if (wasJoined) this.emit('occupantsChanged', { count: 0 });
  }

  /** A presence whose sender is this room (bare or occupant JID). */
  handlePresence(p: MucPresence, stanza: Element): void {
    if (p.type === 'error') {
      this.#onError(p, stanza);
      return;
    }
    const isSelf = p.statusCodes.has('110') || p.nick === this.#nick;
    if (isSelf) {
      this.#onSelfPresence(p);
    } else if (p.nick !== '') {
      this.#onOccupantPresence(p);
    }
  }

  #onError(p: MucPresence, stanza: Element): void {
    if (this.#state === 'joining' && (p.nick === '' || p.nick === this.#nick)) {
      this.#settleJoin?.(classifyJoinError(stanza));
      return;
    }
    this.#log.warn({ room: this.roomJid, error: stanza.getChild('error')?.toString() }, 'room rejected a presence');
  }

  #onSelfPresence(p: MucPresence): void {
    if (p.type !== 'unavailable') {
      // 210: the room changed our nick; every later stanza uses the new one.
      if (p.nick !== '' && p.nick !== this.#nick) this.#nick = p.nick;
      if (this.#state === 'joining') {
        this.#state = 'joined';
        this.#settleJoin?.({ kind: 'joined', occupants: this.occupants });
        // Everyone already in the room became visible at once: whoever counts occupants
        // (the brewery's participants) must hear of it, not only of later comings and goings.
        this.emit('occupantsChanged', { count: this.#occupants.size });
      }
      return;
    }
    if (this.#state === 'leaving') {
      this.#settleLeave?.();
      return;
    }
    if (this.#state !== 'joined') return;
    this.#reset();
    if (p.destroy) {
      this.emit('destroyed', definedOnly({ reason: p.destroy.reason, alternateRoom: p.destroy.alternateRoom }));
    } else {
      this.emit('kicked', { ...definedOnly({ actor: p.actor, reason: p.reason }), statusCodes: [...p.statusCodes] });
    }
  }

  #onOccupantPresence(p: MucPresence): void {
    if (this.#state !== 'joining' && this.#state !== 'joined') return;
    const known = this.#occupants.get(p.nick);
    if (p.type === 'unavailable') {
      if (!known) return;
      this.#occupants.delete(p.nick);
      if (this.#state === 'joined') this.emit('occupantsChanged', { count: this.#occupants.size, left: known });
      return;
    }
    const occupant: Occupant = {
      jid: p.from,
      nick: p.nick,
      role: p.role,
      affiliation: p.affiliation,
      ...definedOnly({ realJid: p.realJid, displayName: p.displayName }),
    };
    this.#occupants.set(p.nick, occupant);
    if (!known && this.#state === 'joined') {
      this.emit('occupantsChanged', { count: this.#occupants.size, joined: occupant });
    }
  }

  #reset(): void {
    this.#state = this.#state === 'idle' ? 'idle' : 'gone';
    this.#occupants.clear();
  }
}

/** Drops undefined properties (so optional fields are absent rather than present-and-undefined). */
function definedOnly<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
