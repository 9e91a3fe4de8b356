import type { Element } from '@xmpp/xml';
import { bareJid } from './jid.js';
import type { MucRoom } from './muc-room.js';
import { NS } from './namespaces.js';
import { waitFor, type WaitResult } from './wait.js';

export type LobbyDecision = 'admitted' | 'denied';

/**
 * A caller's stay in a lobby room until a moderator decides. Admission comes from outside (an
 * invitation to the main room, or the room password accepted), so it is pushed in with admit();
 * a kick from the lobby or the lobby's destruction is a denial.
 */
export class LobbyWait {
  readonly room: MucRoom;
  #settle: ((decision: LobbyDecision) => void) | undefined;

  constructor(room: MucRoom) {
    this.room = room;
  }

  /** Ends a wait under way with an admission (no effect when nobody waits). */
  admit(): void {
    this.#settle?.('admitted');
  }

  get waiting(): boolean {
    return this.#settle !== undefined;
  }

  wait(timeoutMs: number, signal: AbortSignal): Promise<WaitResult<LobbyDecision>> {
    return waitFor<LobbyDecision>(
      (settle) => {
        this.#settle = settle;
        const denied = (): void => settle('denied');
        this.room.on('kicked', denied);
        this.room.on('destroyed', denied);
        return () => {
          this.#settle = undefined;
          this.room.off('kicked', denied);
          this.room.off('destroyed', denied);
        };
      },
      timeoutMs,
      signal,
    );
  }
}

/** True for a MUC invitation (XEP-0045 mediated invite) sent by `roomJid`. */
export function isInvitationFrom(stanza: Element, roomJid: string): boolean {
  const from = stanza.attrs['from'];
  if (!stanza.is('message') || typeof from !== 'string' || bareJid(from) !== roomJid) return false;
  return stanza.getChild('x', NS.mucUser)?.getChild('invite') !== undefined;
}
