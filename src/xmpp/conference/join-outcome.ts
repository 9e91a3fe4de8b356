import type { Element } from '@xmpp/xml';
import { XmppStanzaError } from '../connection.js';
import { NS } from './namespaces.js';
import type { JoinOutcome } from './types.js';

/**
 * What a MUC join error presence means for the call (contract §1: lobby, password, full room).
 * Jitsi's lobby module puts `<lobbyroom xmlns="http://jitsi.org/jitmeet">` inside `<error>` and,
 * for older clients, a namespace-less copy directly in the presence: both are accepted.
 */
export function classifyJoinError(presence: Element): JoinOutcome {
  const errorEl = presence.getChild('error');
  if (!errorEl) return { kind: 'error', condition: 'undefined-condition', text: 'error presence without <error>' };
  const { condition, text } = XmppStanzaError.fromErrorElement(errorEl);
  switch (condition) {
    case 'registration-required': {
      const lobbyRoomJid = lobbyRoomOf(presence, errorEl);
      return lobbyRoomJid !== undefined ? { kind: 'lobby', lobbyRoomJid } : { kind: 'error', condition, text };
    }
    case 'not-authorized':
      return { kind: 'password-required' };
    case 'service-unavailable':
      return { kind: 'room-full' };
    case 'forbidden':
      return { kind: 'banned' };
    default:
      return { kind: 'error', condition, text };
  }
}

function lobbyRoomOf(presence: Element, errorEl: Element): string | undefined {
  const el = errorEl.getChild('lobbyroom', NS.jitmeet) ?? presence.getChild('lobbyroom');
  const jid = el?.text().trim();
  return jid ? jid : undefined;
}
