import type { XmppConfig } from '../config/types.js';
import { messageOf, ok, problem, skipped, type CheckOutcome } from './check.js';
import { errorCode, tlsHandshake } from './tcp-probe.js';

/**
 * With XMPP_TLS, the gateway's sessions open direct TLS to Prosody and Node verifies the
 * certificate against the XMPP domain each session logs in to (connection.ts). This makes the same
 * handshake for each of those domains, so a certificate problem shows here and not as failed calls.
 */
export async function checkXmppTls(x: XmppConfig, signal: AbortSignal): Promise<CheckOutcome> {
  if (!x.tls) return skipped('XMPP_TLS=false: plain TCP to Prosody (STARTTLS where Prosody offers it)');
  const names = [...new Set([x.authDomain, x.callLogin.domain])];
  const seen: string[] = [];
  for (const name of names) {
    try {
      const cert = await tlsHandshake({ host: x.server, port: x.port }, name, signal);
      seen.push(`${name} (valid to ${cert.valid_to})`);
    } catch (err) {
      return tlsProblem(err, name, `${x.server}:${x.port}`);
    }
  }
  return ok(`certificate verified for ${seen.join(', ')}`);
}

function tlsProblem(err: unknown, name: string, where: string): CheckOutcome {
  const code = errorCode(err) ?? '';
  const detail = `TLS to ${where} as ${name}: ${messageOf(err)}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return problem(detail, `Prosody's certificate does not name ${name}: install one that does (Prosody picks it per virtual host), or set XMPP_TLS=false on an internal network`);
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(code)) {
    return problem(detail, "Node does not trust Prosody's certificate: give it the issuing CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem, or install a certificate from a public CA");
  }
  if (code === 'ECONNREFUSED') return problem(detail, 'nothing listens there: XMPP_PORT must be the port Prosody serves direct TLS on (often 5223)');
  return problem(detail, 'XMPP_PORT must be a direct-TLS port with XMPP_TLS=true; a plain client port (5222) needs XMPP_TLS=false, which still uses STARTTLS when Prosody offers it');
}
