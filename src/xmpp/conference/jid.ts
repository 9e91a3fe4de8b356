import { randomBytes } from 'node:crypto';

/** The bare part of a JID, with local part and domain lower-cased (their stringprep form). */
export function bareJid(jid: string): string {
  const slash = jid.indexOf('/');
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** The resource of a full JID ('' when bare). Resources are case-sensitive: kept as they are. */
export function jidResource(jid: string): string {
  const slash = jid.indexOf('/');
  return slash < 0 ? '' : jid.slice(slash + 1);
}

/** True when two JIDs name the same entity (bare parts case-insensitive, resources exact). */
export function sameJid(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return bareJid(a) === bareJid(b) && jidResource(a) === jidResource(b);
}

/** jigasi's per-call nick/resource: 8 random hex digits. */
export function randomCallResource(): string {
  return randomBytes(4).toString('hex');
}

/** True for a stanza from an occupant of `roomJid` or from the focus component (bare JIDs compared). */
export function fromMeetingOrFocus(from: string | undefined, roomJid: string, focusJid: string): from is string {
  return from !== undefined && (from.startsWith(`${roomJid}/`) || from.split('/')[0] === focusJid.split('/')[0]);
}
