import type { XmppConfig } from '../config/types.js';
import { messageOf, ok, problem, type CheckOutcome } from './check.js';
import { saslCondition, type XmppLogin } from './xmpp-session.js';

/** The gateway's own account (JIGASI_XMPP_USER@XMPP_AUTH_DOMAIN) logs in, as the brewery session does. */
export async function checkControlLogin(x: XmppConfig, login: XmppLogin, signal: AbortSignal): Promise<CheckOutcome> {
  const account = `${x.controlUser}@${x.authDomain}`;
  try {
    const xmpp = await login.start(signal);
    return ok(`logged in as ${xmpp.jid?.toString() ?? account}`);
  } catch (err) {
    const condition = saslCondition(err);
    if (condition === 'not-authorized') {
      return problem(
        `Prosody refused ${account} (not-authorized)`,
        `JIGASI_XMPP_PASSWORD must be that account's password (docker-jitsi-meet: the same JIGASI_XMPP_PASSWORD as its .env), or create it: prosodyctl register ${x.controlUser} ${x.authDomain} <password>`,
      );
    }
    return loginProblem(err, account, condition);
  }
}

/**
 * Each call joins its meeting with a session of its own: anonymously on XMPP_DOMAIN (or
 * XMPP_GUEST_DOMAIN with ENABLE_AUTH and ENABLE_GUESTS), or with the gateway's account when the
 * deployment requires authentication. This logs in that way once.
 */
export async function checkCallLogin(x: XmppConfig, login: XmppLogin, signal: AbortSignal): Promise<CheckOutcome> {
  const how = x.callLogin.mode === 'anonymous' ? `anonymous login on ${x.callLogin.domain}` : `login as ${x.callLogin.username}@${x.callLogin.domain}`;
  try {
    await login.start(signal);
    return ok(`${how} works (how each call joins its meeting)`);
  } catch (err) {
    const condition = saslCondition(err);
    if (x.callLogin.mode === 'anonymous' && /does not offer anonymous/.test(messageOf(err))) {
      return problem(
        `${x.callLogin.domain} does not allow anonymous logins`,
        'the deployment requires authentication: set ENABLE_AUTH=true (calls then log in with the gateway account), plus ENABLE_GUESTS=true and XMPP_GUEST_DOMAIN if it has a guest domain',
      );
    }
    return loginProblem(err, how, condition);
  } finally {
    await login.close();
  }
}

function loginProblem(err: unknown, who: string, condition: string | undefined): CheckOutcome {
  const message = messageOf(err);
  if (/no usable SASL mechanism/.test(message)) {
    return problem(`${who}: ${message}`, 'Prosody offers only PLAIN on this unencrypted stream: set XMPP_ALLOW_PLAIN=true (an internal network), or XMPP_TLS=true');
  }
  if (/host-unknown|improper-addressing/.test(message)) {
    return problem(`${who}: ${message}`, 'Prosody does not serve that domain: XMPP_DOMAIN / XMPP_AUTH_DOMAIN must be the virtual hosts of the Jitsi deployment (docker-jitsi-meet: meet.jitsi, auth.meet.jitsi)');
  }
  return problem(`${who}: ${condition ?? message}`, 'see Prosody\'s log for this login; check the XMPP_* domains and the account');
}
