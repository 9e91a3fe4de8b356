/**
 * AV moderation ("ask to unmute") as the av_moderation component tells a participant about it:
 * `<message from="avmoderation.<domain>"><json-message xmlns="http://jitsi.org/jitmeet">` with a
 * JSON body of type `av_moderation`, saying either that moderation of a media type was switched
 * on or off (`enabled`) or that this participant was approved or no longer is (`approved`).
 * Only audio concerns a phone.
 */
import type { Element } from '../connection.js';
import { bareJid } from './jid.js';
import { NS } from './namespaces.js';

export type AvModerationUpdate = { kind: 'enabled'; enabled: boolean } | { kind: 'approved'; approved: boolean };

/** The audio moderation news in a message from `componentJid`, if it is one. */
export function parseAvModeration(stanza: Element, componentJid: string): AvModerationUpdate | undefined {
  const from = stanza.attrs['from'];
  if (!stanza.is('message') || typeof from !== 'string' || bareJid(from) !== componentJid) return undefined;
  const text = stanza.getChild('json-message', NS.jitmeet)?.getText();
  if (text === undefined || text === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (body === null || typeof body !== 'object') return undefined;
  const m = body as { type?: unknown; mediaType?: unknown; enabled?: unknown; approved?: unknown };
  if (m.type !== 'av_moderation' || (m.mediaType !== undefined && m.mediaType !== 'audio')) return undefined;
  if (typeof m.enabled === 'boolean') return { kind: 'enabled', enabled: m.enabled };
  if (typeof m.approved === 'boolean') return { kind: 'approved', approved: m.approved };
  return undefined;
}
