import { describe, expect, it } from 'vitest';
import { grantedExpiry, uriHost } from '../../../src/sip/registration-messages.js';
import { splitHeaderList } from '../../../src/sip/sip-headers.js';
import type { SrfResponse, SrfSentRequest } from '../../../src/sip/srf-types.js';

function message(headers: Record<string, string>): { get(n: string): string | undefined; has(n: string): boolean; body: string } {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (n) => lower.get(n.toLowerCase()), has: (n) => lower.has(n.toLowerCase()), body: '' };
}
const response = (headers: Record<string, string>): SrfResponse => ({ ...message(headers), status: 200, reason: 'OK' });
const sent = (contact: string): SrfSentRequest =>
  ({ ...message({ Contact: contact }), method: 'REGISTER', uri: 'sip:pbx', on: () => undefined, cancel: () => undefined }) as SrfSentRequest;

describe('REGISTER responses', () => {
  it('splits Contact lists without breaking quoted names or URIs', () => {
    expect(splitHeaderList('"Desk, 2" <sip:a@h>;expires=60, <sip:b@h;x=1,2>;expires=30,sip:c@h')).toEqual([
      '"Desk, 2" <sip:a@h>;expires=60',
      '<sip:b@h;x=1,2>;expires=30',
      'sip:c@h',
    ]);
  });

  it("takes the expiry of our own binding among the AOR's bindings", () => {
    const res = response({ Contact: '<sip:jigasi@10.0.0.9:5060>;expires=900, <sip:JIGASI@10.0.0.5:5060;transport=udp>;expires=120', Expires: '3600' });
    expect(grantedExpiry(res, sent('<sip:jigasi@10.0.0.5:5060>'), 600)).toBe(120);
  });

  it('falls back to the single Contact, then to Expires, then to what was asked', () => {
    expect(grantedExpiry(response({ Contact: '<sip:other@h>;expires=45' }), sent('<sip:jigasi@localhost>'), 600)).toBe(45);
    expect(grantedExpiry(response({ Expires: '300' }), sent('<sip:jigasi@h>'), 600)).toBe(300);
    expect(grantedExpiry(response({}), sent('<sip:jigasi@h>'), 600)).toBe(600);
  });

  it('reads the host of an account URI', () => {
    expect(uriHost('sip:jigasi@pbx.example.com;transport=tcp')).toBe('pbx.example.com');
    expect(uriHost('sip:jigasi@10.0.0.1:5080')).toBe('10.0.0.1:5080');
    expect(uriHost('not a uri')).toBeUndefined();
  });
});
