/** The stanzas of the brewery session: join, update and leave presence, and reading the room's answers. */
import { randomBytes } from 'node:crypto';
import { XmppStanzaError, xml, type Element } from '../connection.js';
import { buildStatsElement, type BreweryStats } from './stats-element.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

/** 8 hex digits, the shape jigasi uses for its resources and nicks. */
export function randomNick(): string {
  return randomBytes(4).toString('hex');
}

/** First presence to the room: the MUC `<x>` marks it as a join (no history: the brewery has none worth reading). */
export function joinPresence(occupantJid: string, stats: BreweryStats): Element {
  return xml(
    'presence',
    { to: occupantJid },
    xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' })),
    buildStatsElement(stats),
  );
}

/** Later presence with fresh stats; without the MUC `<x>` so the room treats it as an update, not a rejoin. */
export function updatePresence(occupantJid: string, stats: BreweryStats): Element {
  return xml('presence', { to: occupantJid }, buildStatsElement(stats));
}

export function leavePresence(occupantJid: string): Element {
  return xml('presence', { to: occupantJid, type: 'unavailable' });
}

export type RoomPresence =
  | { kind: 'self-available' }
  | { kind: 'self-unavailable'; statusCodes: string[] }
  | { kind: 'join-error'; error: XmppStanzaError }
  | { kind: 'other' };

/** Room JIDs compare case-insensitively in their bare part; the nick (resource) is exact. */
export function sameOccupant(a: string, b: string): boolean {
  const split = (j: string): [string, string] => {
    const slash = j.indexOf('/');
    return slash < 0 ? [j.toLowerCase(), ''] : [j.slice(0, slash).toLowerCase(), j.slice(slash + 1)];
  };
  const [ab, ar] = split(a);
  const [bb, br] = split(b);
  return ab === bb && ar === br;
}

/** What a presence stanza from the room means for our own occupant. */
export function classifyRoomPresence(stanza: Element, occupantJid: string): RoomPresence {
  const from: unknown = stanza.attrs['from'];
  if (!stanza.is('presence') || typeof from !== 'string' || !sameOccupant(from, occupantJid)) return { kind: 'other' };
  const type: unknown = stanza.attrs['type'];
  if (type === 'error') {
    const error = stanza.getChild('error');
    return {
      kind: 'join-error',
      error: error ? XmppStanzaError.fromErrorElement(error) : new XmppStanzaError('undefined-condition'),
    };
  }
  const statusCodes = (stanza.getChild('x', NS_MUC_USER)?.getChildren('status') ?? [])
    .map((s) => s.attrs['code'])
    .filter((c): c is string => typeof c === 'string');
  if (type === 'unavailable') return { kind: 'self-unavailable', statusCodes };
  if (type === undefined) return { kind: 'self-available' };
  return { kind: 'other' };
}
