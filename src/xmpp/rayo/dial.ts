import { XmppStanzaError, xml, type Element } from '../connection.js';

export const NS_RAYO = 'urn:xmpp:rayo:1';

/** A dial-out request as Jicofo forwards it to the brewery (contract §3, stanza 02). */
export interface DialRequest {
  /** The number to call, as the meeting typed it. */
  to: string;
  from: string | undefined;
  /** The meeting: the JvbRoomName header. */
  roomJid: string;
  roomPassword: string | undefined;
  /** Every other header: becomes a SIP header and an <initiator> header in presence. */
  headers: Record<string, string>;
}

const ROOM_HEADER = 'jvbroomname';
const PASSWORD_HEADER = 'jvbroompassword';

/** Reads `<dial xmlns="urn:xmpp:rayo:1" to from><header name value/>…</dial>`; bad-request when malformed. */
export function parseDial(dial: Element): DialRequest {
  const to = dial.attrs['to'];
  if (typeof to !== 'string' || to.trim() === '') throw new XmppStanzaError('bad-request', 'modify', 'dial without a number');
  let roomJid: string | undefined;
  let roomPassword: string | undefined;
  const headers: Record<string, string> = {};
  for (const h of dial.getChildren('header', NS_RAYO)) {
    const name = h.attrs['name'];
    const value = h.attrs['value'];
    if (typeof name !== 'string' || typeof value !== 'string') continue;
    const key = name.toLowerCase();
    if (key === ROOM_HEADER) roomJid = value.trim();
    else if (key === PASSWORD_HEADER) roomPassword = value;
    else headers[name] = value;
  }
  if (roomJid === undefined || !/^[^@/\s]+@[^@/\s]+$/.test(roomJid)) {
    throw new XmppStanzaError('bad-request', 'modify', 'dial without a valid JvbRoomName header');
  }
  const from = dial.attrs['from'];
  return {
    to: to.trim(),
    from: typeof from === 'string' && from !== '' ? from : undefined,
    roomJid: roomJid.toLowerCase(),
    roomPassword,
    headers,
  };
}

/** The dial IQ's result: where the meeting can find (and hang up) the call. */
export function refElement(occupantJid: string): Element {
  return xml('ref', { xmlns: NS_RAYO, uri: `xmpp:${occupantJid}` });
}
