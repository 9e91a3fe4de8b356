import { describe, expect, it } from 'vitest';
import { DigestAuthenticator, digestResponse, parseDigestHeader } from '../../../src/sip/admission/digest.js';

describe('DigestAuthenticator', () => {
  let clock = 1_700_000_000_000;
  const auth = new DigestAuthenticator('jitsi', [{ username: 'alice', password: 's3cret' }], 60_000, () => clock);

  function answer(challenge: string, over: Partial<Parameters<typeof digestResponse>[0]> = {}): string {
    const c = parseDigestHeader(challenge);
    return digestResponse({
      username: 'alice',
      password: 's3cret',
      realm: c?.get('realm') ?? '',
      nonce: c?.get('nonce') ?? '',
      method: 'INVITE',
      uri: 'sip:4000@gw.example',
      qop: 'auth',
      ...over,
    });
  }

  it('accepts a correct answer to its own challenge, with and without qop', () => {
    const ch = auth.challenge();
    expect(ch).toMatch(/^Digest realm="jitsi", nonce="[0-9a-f]+\.[0-9a-f]{32}", algorithm=MD5, qop="auth"$/);
    expect(auth.verify(answer(ch), 'INVITE')).toEqual({ ok: true, username: 'alice' });
    const noQop = digestResponse({ username: 'alice', password: 's3cret', realm: 'jitsi', nonce: parseDigestHeader(ch)?.get('nonce') ?? '', method: 'INVITE', uri: 'sip:x@y' });
    expect(auth.verify(noQop, 'INVITE')).toEqual({ ok: true, username: 'alice' });
  });

  it('tells why an answer is refused', () => {
    const ch = auth.challenge();
    expect(auth.verify(undefined, 'INVITE')).toEqual({ ok: false, reason: 'missing' });
    expect(auth.verify('Basic abc', 'INVITE')).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(answer(ch, { password: 'wrong' }), 'INVITE')).toEqual({ ok: false, reason: 'wrong-response' });
    expect(auth.verify(answer(ch), 'BYE')).toEqual({ ok: false, reason: 'wrong-response' });
    expect(auth.verify(answer(ch, { username: 'mallory' }), 'INVITE')).toEqual({ ok: false, reason: 'unknown-user' });
    expect(auth.verify(answer(ch, { realm: 'other' }), 'INVITE')).toEqual({ ok: false, reason: 'wrong-realm' });
    expect(auth.verify(answer(ch, { nonce: '18b.deadbeef' }), 'INVITE')).toEqual({ ok: false, reason: 'bad-nonce' });
    clock += 61_000;
    expect(auth.verify(answer(ch), 'INVITE')).toEqual({ ok: false, reason: 'stale' });
  });

  it('parses quoted and bare parameters', () => {
    const p = parseDigestHeader('Digest username="a\\"b", realm=r, nc=00000001, uri="sip:x@y;transport=tcp"');
    expect(p?.get('username')).toBe('a"b');
    expect(p?.get('realm')).toBe('r');
    expect(p?.get('nc')).toBe('00000001');
    expect(p?.get('uri')).toBe('sip:x@y;transport=tcp');
  });
});
