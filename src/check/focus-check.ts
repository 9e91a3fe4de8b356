import type { XmppConfig } from '../config/types.js';
import { sendIq, xml, XmppStanzaError } from '../xmpp/connection.js';
import { ok, problem, type CheckOutcome } from './check.js';
import type { XmppLogin } from './xmpp-session.js';

/** Jicofo answers a disco#info at XMPP_FOCUS_JID, where each call sends its conference request. */
export async function checkFocus(x: XmppConfig, login: XmppLogin, signal: AbortSignal): Promise<CheckOutcome> {
  const xmpp = await login.start(signal);
  try {
    const res = await sendIq(xmpp, xml('iq', { type: 'get', to: x.focusJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), x.joinTimeoutMs);
    const identity = res.getChild('query')?.getChild('identity');
    const what = identity === undefined ? '' : ` (${String(identity.attrs['category'] ?? '?')}/${String(identity.attrs['type'] ?? '?')})`;
    return ok(`${x.focusJid} answers disco#info${what}`);
  } catch (err) {
    const condition = err instanceof XmppStanzaError ? err.condition : (err as Error).message;
    return problem(
      `${x.focusJid} did not answer disco#info: ${condition}`,
      "start Jicofo (it must be connected to this Prosody), and set XMPP_FOCUS_JID to its address if it is not focus.<XMPP_DOMAIN> (docker-jitsi-meet: focus.meet.jitsi)",
    );
  }
}
