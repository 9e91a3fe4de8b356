import { SipRejection } from '../errors.js';
import type { CidrSet } from './cidr.js';
import type { DigestAuthenticator } from './digest.js';

export type CallerAdmission = { admitted: true; by: 'trusted-network' | 'digest' | 'open'; user: string | undefined };

export interface CallerAuthPolicy {
  trusted: CidrSet;
  digest: DigestAuthenticator;
}

/**
 * Who may call:
 *  - a source address inside SIP_TRUSTED_NETWORKS is admitted as is;
 *  - otherwise, when inbound users are configured, the caller must pass digest auth: no or an
 *    old credential → 401 with a fresh challenge (stale=true for an expired nonce), a wrong
 *    answer or unknown user → 403;
 *  - trusted networks but no users: everyone outside them gets 403;
 *  - neither configured: everyone may call (an open gateway, as jigasi behaves by default;
 *    operators are expected to firewall drachtio's SIP port or configure one of the two).
 * Returns the admission, or the rejection to answer with.
 */
export function authorizeCaller(
  policy: CallerAuthPolicy,
  source: string,
  authorization: string | undefined,
  method: string,
): CallerAdmission | SipRejection {
  const { trusted, digest } = policy;
  if (trusted.size > 0 && trusted.has(source)) return { admitted: true, by: 'trusted-network', user: undefined };
  if (digest.enabled) {
    const verdict = digest.verify(authorization, method);
    if (verdict.ok) return { admitted: true, by: 'digest', user: verdict.username };
    switch (verdict.reason) {
      case 'missing':
        return new SipRejection(401, 'authentication required', 'auth-challenge', { 'WWW-Authenticate': digest.challenge() });
      case 'stale':
        return new SipRejection(401, 'nonce expired', 'auth-stale', { 'WWW-Authenticate': digest.challenge(true) });
      // A nonce we did not issue (e.g. from before a restart) or for another realm: ask again.
      case 'bad-nonce':
      case 'wrong-realm':
        return new SipRejection(401, `credentials not usable here (${verdict.reason})`, 'auth-challenge', {
          'WWW-Authenticate': digest.challenge(),
        });
      case 'malformed':
      case 'unknown-user':
      case 'wrong-response':
        // The label (logs only) says which; the caller is not told whether the user exists.
        return new SipRejection(403, 'authentication failed', `auth-${verdict.reason}`);
    }
  }
  if (trusted.size > 0) return new SipRejection(403, 'source is not in a trusted network', 'untrusted');
  return { admitted: true, by: 'open', user: undefined };
}
