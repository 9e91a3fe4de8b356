/**
 * Turns what a caller's INVITE says about the room into a conference room JID. Operators send
 * the room in many shapes (bare name, full JID, mixed case, quoted); jigasi rejected some of them,
 * which is one of its users' complaints, so this accepts every unambiguous form.
 */

export interface RoomTarget {
  /** Room bare JID, e.g. standup@muc.meet.jitsi. */
  roomJid: string;
  password: string | undefined;
  /** How the room was found, for logs and metrics. */
  source: 'header' | 'number-map' | 'default-room' | 'pin';
}

export interface MucLayout {
  /** XMPP_DOMAIN, e.g. meet.jitsi */
  domain: string;
  /** XMPP_MUC_DOMAIN, e.g. muc.meet.jitsi */
  mucDomain: string;
}

/** Characters XMPP forbids in a JID localpart (RFC 7622), plus whitespace. */
const FORBIDDEN_NODE_CHARS = /[\s"&'/:<>@]/;

export class InvalidRoomError extends Error {
  readonly sipStatus = 404;
  readonly metricLabel = 'caller_error';
  constructor(value: string, why: string) {
    super(`invalid room '${value}': ${why}`);
    this.name = 'InvalidRoomError';
  }
}

/**
 * The MUC domain for a multi-domain deployment: the configured MUC subdomain label placed before
 * the tenant (if any) and the domain base, e.g. base "meet.example.com" + tenant "acme" →
 * "muc.acme.meet.example.com" when XMPP_MUC_DOMAIN is "muc.<XMPP_DOMAIN>".
 */
export function mucDomainFor(layout: MucLayout, domainBase?: string, tenant?: string): string {
  if (domainBase === undefined || domainBase === '') return layout.mucDomain;
  const suffix = `.${layout.domain}`;
  const label = layout.mucDomain.endsWith(suffix) ? layout.mucDomain.slice(0, -suffix.length) : 'conference';
  const t = tenant !== undefined && tenant !== '' ? `${tenant.toLowerCase()}.` : '';
  return `${label}.${t}${domainBase.toLowerCase()}`;
}

/** Normalizes a room given as `name` or `name@muc-domain` into a room JID. */
export function normalizeRoom(value: string, defaultMucDomain: string): string {
  let v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith('<') && v.endsWith('>')))) {
    v = v.slice(1, -1).trim();
  }
  v = v.replace(/^xmpp:/i, '');
  if (v === '') throw new InvalidRoomError(value, 'empty');
  const at = v.lastIndexOf('@');
  const node = (at >= 0 ? v.slice(0, at) : v).toLowerCase();
  const domain = (at >= 0 ? v.slice(at + 1) : defaultMucDomain).toLowerCase();
  if (node === '') throw new InvalidRoomError(value, 'no room name');
  if (FORBIDDEN_NODE_CHARS.test(node)) throw new InvalidRoomError(value, 'contains characters a room name cannot have');
  if (node.length > 1023) throw new InvalidRoomError(value, 'too long');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
    throw new InvalidRoomError(value, `'${domain}' is not a domain`);
  }
  return `${node}@${domain}`;
}
