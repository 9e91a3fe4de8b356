import { randomBytes } from 'node:crypto';
import type { XmppConfig } from '../config/types.js';
import { classifyRoomPresence, leavePresence, NS_MUC } from '../xmpp/brewery/brewery-presence.js';
import { sendIq, xml, XmppStanzaError, type Client, type Element } from '../xmpp/connection.js';
import { CheckProblem, ok, problem, type CheckOutcome } from './check.js';
import type { XmppLogin } from './xmpp-session.js';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

/**
 * The brewery exists (Jicofo creates it and sits in it; joining a missing one would only create an
 * empty room Jicofo never reads) and the gateway account can join it. The join carries no stats,
 * so Jicofo never counts this visit as a gateway it could send dial-outs to; it leaves at once.
 */
export async function checkBrewery(x: XmppConfig, login: XmppLogin, signal: AbortSignal): Promise<CheckOutcome> {
  const room = `${x.breweryMuc}@${x.internalMucDomain}`;
  const xmpp = await login.start(signal);
  try {
    await sendIq(xmpp, xml('iq', { type: 'get', to: room }, xml('query', { xmlns: NS_DISCO_INFO })), x.joinTimeoutMs);
  } catch (err) {
    return discoProblem(err, room, x);
  }
  const occupants = await joinAndLeave(xmpp, `${room}/check-${randomBytes(3).toString('hex')}`, x.joinTimeoutMs);
  const others = occupants.length === 0 ? 'nobody else in it' : `in it: ${occupants.join(', ')}`;
  return ok(`${room} exists and can be joined (${others})`);
}

function discoProblem(err: unknown, room: string, x: XmppConfig): CheckOutcome {
  if (err instanceof XmppStanzaError && err.condition === 'item-not-found') {
    return problem(
      `${room} does not exist`,
      `Jicofo creates the brewery when it starts: start Jicofo, and make JIGASI_BREWERY_MUC (${x.breweryMuc}) and XMPP_INTERNAL_MUC_DOMAIN (${x.internalMucDomain}) name the room in Jicofo's jigasi brewery setting (docker-jitsi-meet: JIGASI_BREWERY_MUC)`,
    );
  }
  if (err instanceof XmppStanzaError && (err.condition === 'remote-server-not-found' || err.condition === 'service-unavailable')) {
    return problem(`${room}: ${err.condition}`, `XMPP_INTERNAL_MUC_DOMAIN must be the deployment's internal MUC component (docker-jitsi-meet: internal-muc.meet.jitsi)`);
  }
  return problem(`${room}: ${(err as Error).message}`, 'see Prosody\'s log; check XMPP_INTERNAL_MUC_DOMAIN and JIGASI_BREWERY_MUC');
}

/** Joins as `occupant`; resolves with the nicks already in the room once in, after leaving again. */
async function joinAndLeave(xmpp: Client, occupant: string, timeoutMs: number): Promise<string[]> {
  const roomBare = occupant.slice(0, occupant.indexOf('/')).toLowerCase();
  const others: string[] = [];
  let onStanza: ((stanza: Element) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const joined = new Promise<void>((resolve, reject) => {
    onStanza = (stanza: Element): void => {
      const p = classifyRoomPresence(stanza, occupant);
      if (p.kind === 'self-available') resolve();
      else if (p.kind === 'join-error') reject(joinProblem(p.error, occupant));
      else if (stanza.is('presence') && stanza.attrs['type'] === undefined) {
        const from = String(stanza.attrs['from'] ?? '');
        const slash = from.indexOf('/');
        if (slash > 0 && from.slice(0, slash).toLowerCase() === roomBare) others.push(from.slice(slash + 1));
      }
    };
    xmpp.on('stanza', onStanza);
    timer = setTimeout(() => reject(new CheckProblem(`no answer to joining ${occupant} within ${timeoutMs} ms`, 'Prosody\'s internal MUC component did not answer: see its log')), timeoutMs);
  });
  try {
    await xmpp.send(xml('presence', { to: occupant }, xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' }))));
    await joined;
    await xmpp.send(leavePresence(occupant));
    return others;
  } finally {
    clearTimeout(timer);
    if (onStanza !== undefined) xmpp.off('stanza', onStanza);
  }
}

function joinProblem(error: XmppStanzaError, occupant: string): CheckProblem {
  const fix =
    error.condition === 'registration-required' || error.condition === 'forbidden' || error.condition === 'not-allowed'
      ? "the brewery refuses the gateway account: Jitsi's internal MUC admits its own service accounts; make JIGASI_XMPP_USER / XMPP_AUTH_DOMAIN the jigasi account the deployment expects"
      : 'see Prosody\'s log for this join';
  return new CheckProblem(`joining ${occupant}: ${error.condition}`, fix);
}
