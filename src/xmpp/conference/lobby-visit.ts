import type { Element } from '@xmpp/xml';
import type { Logger } from '../../log.js';
import { JoinFailedError } from './errors.js';
import { LobbyWait } from './lobby.js';
import type { MucRoom } from './muc-room.js';
import type { JoinOutcome, LobbyResult } from './types.js';

/** What a lobby visit needs from the conference session that sends it there. */
export interface LobbyVisitPort {
  /** Our presence for joining `room` (without the main room's password). */
  presenceFor(room: MucRoom): Element;
  /** (Re)joins the main room, once admitted. */
  joinMain(): Promise<JoinOutcome>;
  mainJoined(): boolean;
  /** Tells the call that it waits in the lobby now. */
  entered(lobbyRoomJid: string): void;
  /** Aborted when the session closes or loses its connection. */
  signal: AbortSignal;
  joinTimeoutMs: number;
  waitTimeoutMs: number;
  leaveTimeoutMs: number;
  log: Logger;
}

/**
 * One stay in a meeting's lobby: join the lobby room, wait for a moderator (an invitation admits,
 * a kick or the lobby's end denies), then into the main room and out of the lobby.
 */
export class LobbyVisit {
  readonly wait: LobbyWait;

  constructor(
    readonly room: MucRoom,
    private readonly port: LobbyVisitPort,
  ) {
    this.wait = new LobbyWait(room);
  }

  /** Runs the visit; `left` is called once the session no longer needs to route lobby presence. */
  async run(left: () => void): Promise<LobbyResult> {
    const p = this.port;
    const entered = await this.room.join(p.presenceFor(this.room), p.joinTimeoutMs, p.signal);
    if (entered.kind !== 'joined') {
      // Closing: the shutdown still has to take us out of the lobby, so it stays routed.
      if (p.signal.aborted) return 'denied';
      left();
      throw new JoinFailedError(entered);
    }
    p.log.info({ lobby: this.room.roomJid }, 'waiting in the lobby');
    p.entered(this.room.roomJid);
    const decision = await this.wait.wait(p.waitTimeoutMs, p.signal);
    if (decision.kind === 'aborted') return 'denied';
    if (decision.kind === 'value' && decision.value === 'admitted') {
      const outcome = p.mainJoined() ? undefined : await p.joinMain();
      if (p.signal.aborted) return 'denied';
      await this.leave(undefined, left);
      if (outcome !== undefined && outcome.kind !== 'joined') throw new JoinFailedError(outcome);
      p.log.info('admitted from the lobby');
      return 'admitted';
    }
    await this.leave(undefined, left);
    const result = decision.kind === 'timeout' ? 'timeout' : 'denied';
    p.log.info({ result }, 'lobby wait ended');
    return result;
  }

  /** Leaves the lobby room; still routed while leaving, so the room's confirmation reaches it. */
  async leave(reason: string | undefined, left: () => void): Promise<void> {
    await this.room.leave(reason, this.port.leaveTimeoutMs, new AbortController().signal);
    left();
  }
}
