/**
 * The MUC owner/admin stanzas a moderator (Jicofo, or a moderator's browser) sends: room
 * configuration, affiliations, invitations, kicks, destruction (XEP-0045 §10, §9, §7.8).
 */
import { xml, type Element } from '../../../src/xmpp/connection.js';

const NS_OWNER = 'http://jabber.org/protocol/muc#owner';
const NS_ADMIN = 'http://jabber.org/protocol/muc#admin';
const NS_USER = 'http://jabber.org/protocol/muc#user';
const NS_DATA = 'jabber:x:data';

export interface RoomConfig {
  /** muc#roomconfig_roomsecret ('' removes the password) */
  password?: string;
  /** muc#roomconfig_membersonly: with the test lobby plugin, non-members are sent to the lobby */
  membersOnly?: boolean;
  /** muc#roomconfig_maxusers (test max-occupants plugin) */
  maxUsers?: number;
  /** muc#roomconfig_whois: 'anyone' shows real JIDs to every occupant */
  whois?: 'anyone' | 'moderators';
}

/** The owner form submission for `config` (only the fields given are changed). */
export function roomConfigIq(roomJid: string, config: RoomConfig): Element {
  const fields: Array<[string, string]> = [['FORM_TYPE', 'http://jabber.org/protocol/muc#roomconfig']];
  if (config.password !== undefined) fields.push(['muc#roomconfig_roomsecret', config.password]);
  if (config.membersOnly !== undefined) fields.push(['muc#roomconfig_membersonly', config.membersOnly ? '1' : '0']);
  if (config.maxUsers !== undefined) fields.push(['muc#roomconfig_maxusers', String(config.maxUsers)]);
  if (config.whois !== undefined) fields.push(['muc#roomconfig_whois', config.whois]);
  return xml(
    'iq',
    { type: 'set', to: roomJid },
    xml(
      'query',
      { xmlns: NS_OWNER },
      xml(
        'x',
        { xmlns: NS_DATA, type: 'submit' },
        ...fields.map(([v, value]) => xml('field', { var: v }, xml('value', {}, value))),
      ),
    ),
  );
}

export function setAffiliationIq(roomJid: string, realJid: string, affiliation: string): Element {
  return xml('iq', { type: 'set', to: roomJid }, xml('query', { xmlns: NS_ADMIN }, xml('item', { affiliation, jid: realJid })));
}

/** Kick: role none for the occupant `nick`. */
export function kickIq(roomJid: string, nick: string, reason?: string): Element {
  const item = xml('item', { nick, role: 'none' });
  if (reason !== undefined) item.append(xml('reason', {}, reason));
  return xml('iq', { type: 'set', to: roomJid }, xml('query', { xmlns: NS_ADMIN }, item));
}

export function destroyIq(roomJid: string, reason?: string): Element {
  const destroy = xml('destroy', {});
  if (reason !== undefined) destroy.append(xml('reason', {}, reason));
  return xml('iq', { type: 'set', to: roomJid }, xml('query', { xmlns: NS_OWNER }, destroy));
}

/** Mediated invitation: the room forwards it to `realJid` (and grants membership in members-only rooms). */
export function inviteMessage(roomJid: string, realJid: string, reason?: string): Element {
  const invite = xml('invite', { to: realJid });
  if (reason !== undefined) invite.append(xml('reason', {}, reason));
  return xml('message', { to: roomJid }, xml('x', { xmlns: NS_USER }, invite));
}
