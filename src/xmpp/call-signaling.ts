import type { Element } from '@xmpp/xml';
import type { Logger } from '../log.js';
import { ConferenceSession, type ConferenceSessionOptions } from './conference/index.js';
import { JingleParseError, JingleSession, parseJingleIq } from './jingle/index.js';
import { NS } from './jingle/namespaces.js';

/** The XMPP half of one call: its conference session and the Jingle session carried over it. */
export interface CallSignaling {
  conference: ConferenceSession;
  jingle: JingleSession;
}

/**
 * Builds a call's conference session and binds a Jingle session to it: Jingle IQs the conference
 * accepted from the focus are parsed and handed to the Jingle session (a parse or state error
 * becomes the IQ error), and the Jingle session's own IQs go out to the focus occupant.
 */
export function createCallSignaling(options: ConferenceSessionOptions, logger: Logger): CallSignaling {
  const conference = new ConferenceSession(options);
  const jingle = new JingleSession({
    localJid: conference.occupantJid,
    focusJid: conference.focusOccupantJid,
    send: async (iq) => {
      await conference.sendIq(iq);
    },
    logger: logger.child({ component: 'jingle' }),
  });
  // Set before start(): Jicofo may send session-initiate right after the join presence.
  conference.setJingleHandler(async (iq) => {
    let action;
    try {
      action = parseJingleIq(iq);
    } catch (err) {
      // The IQ error answers the focus; the call still has to hear that its offer is unusable.
      if (err instanceof JingleParseError && isSessionInitiate(iq)) jingle.refuseUnreadableOffer(err);
      throw err;
    }
    jingle.handle(action);
  });
  return { conference, jingle };
}

function isSessionInitiate(iq: Element): boolean {
  return iq.getChild('jingle', NS.jingle)?.attrs['action'] === 'session-initiate';
}
