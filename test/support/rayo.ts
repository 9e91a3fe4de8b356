/**
 * The Rayo IQs the focus sends a gateway for dial-out (what Jicofo sends when a moderator invites
 * a phone number), for the end-to-end tests.
 */
import { xml, type Element } from '../../src/xmpp/connection.js';

export const NS_RAYO = 'urn:xmpp:rayo:1';

/** `dial` to the gateway `to` (its brewery occupant): call `number` into `room`. */
export function rayoDial(to: string, number: string, room: string): Element {
  return xml('iq', { type: 'set', to }, xml('dial', { xmlns: NS_RAYO, to: number, from: 'meeting' }, xml('header', { xmlns: NS_RAYO, name: 'JvbRoomName', value: room })));
}

/** The occupant JID the gateway's answer to a dial names (its `<ref uri="xmpp:…"/>`). */
export function dialledOccupant(reply: Element): string {
  return String(reply.getChild('ref', NS_RAYO)?.attrs['uri']).replace(/^xmpp:/, '');
}

/** `hangup` to the dialled occupant. */
export function rayoHangup(occupant: string): Element {
  return xml('iq', { type: 'set', to: occupant }, xml('hangup', { xmlns: NS_RAYO }));
}
