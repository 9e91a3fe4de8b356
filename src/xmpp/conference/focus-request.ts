import xml from '@xmpp/xml';
import type { Logger } from '../../log.js';
import { NS } from './namespaces.js';
import type { PendingIqs } from './pending-iqs.js';

export interface FocusAnswer {
  ready: boolean;
  /** `<property name value>` children (e.g. sipGatewayEnabled, live). */
  properties: Record<string, string>;
}

/**
 * Asks the focus to (create and) host the conference, as a browser does before joining (stanza
 * 03). Like jigasi, the first join goes ahead whatever the answer: an error (no host yet:
 * not-authorized) or silence is logged and undefined returned, so this never throws.
 */
export async function requestConference(
  iqs: PendingIqs,
  focusJid: string,
  roomJid: string,
  timeoutMs: number,
  logger: Logger,
): Promise<FocusAnswer | undefined> {
  const iq = xml('iq', { type: 'set', to: focusJid }, xml('conference', { xmlns: NS.focus, room: roomJid }));
  try {
    const reply = await iqs.request(iq, timeoutMs);
    const conference = reply.getChild('conference', NS.focus);
    const properties: Record<string, string> = {};
    for (const p of conference?.getChildren('property') ?? []) {
      const { name, value } = p.attrs as { name?: unknown; value?: unknown };
      if (typeof name === 'string' && typeof value === 'string') properties[name] = value;
    }
    const answer = { ready: conference?.attrs['ready'] === 'true', properties };
    logger.debug({ focusJid, ready: answer.ready }, 'focus answered the conference request');
    return answer;
  } catch (err) {
    logger.warn({ err, focusJid, room: roomJid }, 'conference request to the focus failed');
    return undefined;
  }
}
