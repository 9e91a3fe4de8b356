import { describe, expect, it } from 'vitest';
import { parseReferPolicy, referAllowed } from '../../../src/config/refer-policy.js';
import { eventId, isReferEvent, parseReferTo, parseSipfrag, sipfragBody } from '../../../src/sip/refer-messages.js';

describe('REFER messages', () => {
  it('reads a Refer-To target, with a Replaces header for an attended transfer', () => {
    expect(parseReferTo('"Sales" <sip:200@pbx.example.com>')).toEqual({ uri: 'sip:200@pbx.example.com', displayName: 'Sales', user: '200', replaces: undefined });
    expect(parseReferTo('<sip:201@pbx.example.com?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>')).toMatchObject({
      uri: 'sip:201@pbx.example.com',
      replaces: 'abc@h;to-tag=1;from-tag=2',
    });
    expect(parseReferTo('<tel:+4930123>')).toMatchObject({ uri: 'tel:+4930123', user: '+4930123' });
    for (const bad of [undefined, '', '<http://x>', '<sip:nohost>', '<sip:a@b?Replaces=%0d%0aX>']) expect(parseReferTo(bad), String(bad)).toBeUndefined();
  });

  it('writes and reads message/sipfrag status lines and the refer event id', () => {
    expect(sipfragBody(486, 'Busy Here')).toBe('SIP/2.0 486 Busy Here\r\n');
    expect(parseSipfrag('SIP/2.0 200 OK\r\n')).toEqual({ status: 200, reason: 'OK' });
    expect(parseSipfrag('SIP/2.0 100 Trying')).toEqual({ status: 100, reason: 'Trying' });
    expect(parseSipfrag('garbage')).toBeUndefined();
    expect(isReferEvent('refer;id=93')).toBe(true);
    expect(isReferEvent('presence')).toBe(false);
    expect(eventId('refer;id=93')).toBe(93);
    expect(eventId('refer')).toBeUndefined();
  });

  it('SIP_REFER_POLICY: deny, allow, or a regular expression over the whole target URI', () => {
    const p = (s: string) => {
      const r = parseReferPolicy(s);
      if (!r.ok) throw new Error(r.problem);
      return r.value;
    };
    expect(referAllowed(p('deny'), 'sip:200@pbx')).toBe(false);
    expect(referAllowed(p(''), 'sip:200@pbx')).toBe(false);
    expect(referAllowed(p('allow'), 'sip:anything@anywhere')).toBe(true);
    const pbx = p('sip:(2\\d\\d|\\+4930\\d+)@pbx\\.example\\.com');
    expect(referAllowed(pbx, 'sip:200@pbx.example.com')).toBe(true);
    expect(referAllowed(pbx, 'sip:+4930123@pbx.example.com')).toBe(true);
    // Anchored: containing an allowed target is not enough.
    expect(referAllowed(pbx, 'sip:200@pbx.example.com.evil.test')).toBe(false);
    expect(referAllowed(pbx, 'sip:900@pbx.example.com')).toBe(false);
    expect(parseReferPolicy('(').ok).toBe(false);
  });
});
