import { describe, expect, it } from 'vitest';
import { authorizeCaller } from '../../../src/sip/admission/caller-auth.js';
import { CidrSet } from '../../../src/sip/admission/cidr.js';
import { DigestAuthenticator, digestResponse, parseDigestHeader } from '../../../src/sip/admission/digest.js';
import { SipRejection } from '../../../src/sip/errors.js';

const URI = 'sip:jigasi@gw.example.com';

function answer(challenge: string, password: string, user = '1000'): string {
  const p = parseDigestHeader(challenge);
  return digestResponse({ username: user, password, realm: p?.get('realm') ?? '', nonce: p?.get('nonce') ?? '', method: 'INVITE', uri: URI, qop: 'auth' });
}

function rejection(v: unknown): SipRejection {
  if (!(v instanceof SipRejection)) throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
  return v;
}

describe('who may call', () => {
  let clock = 1_000_000;
  const digest = new DigestAuthenticator('gw', [{ username: '1000', password: 'pw' }], 60_000, () => clock);
  const withUsers = { trusted: new CidrSet(['10.0.0.0/8']), digest };

  it('admits trusted sources without credentials', () => {
    expect(authorizeCaller(withUsers, '10.9.8.7', undefined, 'INVITE')).toEqual({ admitted: true, by: 'trusted-network', user: undefined });
    expect(authorizeCaller(withUsers, '::ffff:10.1.1.1', undefined, 'INVITE')).toMatchObject({ by: 'trusted-network' });
  });

  it('challenges, admits the right answer, refuses a wrong one with 403 without saying why', () => {
    const challenge = rejection(authorizeCaller(withUsers, '192.0.2.1', undefined, 'INVITE'));
    expect(challenge.status).toBe(401);
    const www = challenge.headers['WWW-Authenticate'] ?? '';
    expect(authorizeCaller(withUsers, '192.0.2.1', answer(www, 'pw'), 'INVITE')).toEqual({ admitted: true, by: 'digest', user: '1000' });
    const wrong = rejection(authorizeCaller(withUsers, '192.0.2.1', answer(www, 'nope'), 'INVITE'));
    expect([wrong.status, wrong.label, wrong.reason]).toEqual([403, 'auth-wrong-response', 'authentication failed']);
    const unknown = rejection(authorizeCaller(withUsers, '192.0.2.1', answer(www, 'pw', 'mallory'), 'INVITE'));
    expect([unknown.status, unknown.reason]).toEqual([403, 'authentication failed']);
  });

  it('re-challenges an old nonce with stale=true and a foreign nonce without it', () => {
    const www = rejection(authorizeCaller(withUsers, '192.0.2.1', undefined, 'INVITE')).headers['WWW-Authenticate'] ?? '';
    clock += 61_000;
    const stale = rejection(authorizeCaller(withUsers, '192.0.2.1', answer(www, 'pw'), 'INVITE'));
    expect(stale.status).toBe(401);
    expect(stale.headers['WWW-Authenticate']).toMatch(/stale=true$/);
    const other = new DigestAuthenticator('gw', [{ username: '1000', password: 'pw' }]);
    const foreign = rejection(authorizeCaller(withUsers, '192.0.2.1', answer(other.challenge(), 'pw'), 'INVITE'));
    expect(foreign.status).toBe(401);
    expect(foreign.headers['WWW-Authenticate']).not.toContain('stale');
  });

  it('refuses untrusted sources with 403 when there are trusted networks but no users', () => {
    const noUsers = { trusted: new CidrSet(['10.0.0.0/8']), digest: new DigestAuthenticator('gw', []) };
    expect(rejection(authorizeCaller(noUsers, '192.0.2.1', undefined, 'INVITE')).status).toBe(403);
  });

  it('is open when nothing is configured', () => {
    const open = { trusted: new CidrSet([]), digest: new DigestAuthenticator('gw', []) };
    expect(authorizeCaller(open, '203.0.113.9', undefined, 'INVITE')).toEqual({ admitted: true, by: 'open', user: undefined });
  });
});
