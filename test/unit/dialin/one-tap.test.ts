import { describe, expect, it } from 'vitest';
import { routeInvite, type RoutingRules } from '../../../src/sip/admission/route.js';
import { oneTapPin } from '../../../src/sip/pin/one-tap.js';

const rules = { ownNumbers: ['+4930123456', '+15550100100'], pinDigits: 8 };

describe('one-tap PIN in the Request-URI', () => {
  it('reads the PIN after pauses, with or without the closing #', () => {
    expect(oneTapPin('sip:+4930123456,,12345678%23@gw.example.com', rules)).toBe('12345678');
    expect(oneTapPin('sip:+4930123456,,12345678@gw.example.com;user=phone', rules)).toBe('12345678');
    expect(oneTapPin('sip:4930123456pp12345678@gw.example.com', rules)).toBe('12345678');
    expect(oneTapPin('sip:+4930123456;12345678@gw.example.com', rules)).toBe('12345678');
    expect(oneTapPin('sip:+49 30 123456,,12345678#@gw', rules)).toBe('12345678');
  });

  it('reads RFC 3966 post-dial digits in a tel: URI and a sip: user', () => {
    expect(oneTapPin('tel:+4930123456;postd=pp12345678%23', rules)).toBe('12345678');
    expect(oneTapPin('sip:+4930123456;postd=w12345678@gw.example.com;user=phone', rules)).toBe('12345678');
  });

  it('splits a PIN glued to one of our own numbers, only at the PIN length', () => {
    expect(oneTapPin('sip:+493012345612345678@gw', rules)).toBe('12345678');
    expect(oneTapPin('sip:493012345612345678@gw', rules)).toBe('12345678');
    expect(oneTapPin('sip:1555010010087654321@gw', rules)).toBe('87654321');
    // One digit short or long, or a number that is not ours: no PIN.
    expect(oneTapPin('sip:+49301234561234567@gw', rules)).toBeUndefined();
    expect(oneTapPin('sip:+4930123456123456789@gw', rules)).toBeUndefined();
    expect(oneTapPin('sip:+493099999912345678@gw', rules)).toBeUndefined();
    // Without a known PIN length (external mapper) a glued number is never split.
    expect(oneTapPin('sip:+493012345612345678@gw', { ownNumbers: rules.ownNumbers, pinDigits: undefined })).toBeUndefined();
  });

  it('finds nothing in a plain number, a short code or garbage', () => {
    for (const uri of ['sip:+4930123456@gw', 'sip:4000@gw', 'sip:alice@gw', 'sip:+4930123456,,12@gw', 'sip:,,12345678@gw', 'sip:gw', 'mailto:x@y']) {
      expect(oneTapPin(uri, rules)).toBeUndefined();
    }
  });
});

describe('routing a one-tap call', () => {
  const base: RoutingRules = {
    layout: { domain: 'meet.jitsi', mucDomain: 'muc.meet.jitsi' },
    roomHeaders: ['X-Room-Name'],
    roomPasswordHeader: 'X-Pass',
    domainBaseHeaders: [],
    tenantHeader: 'X-Tenant',
    numberMap: {},
    defaultRoom: 'lobby',
    pinPrompt: true,
    oneTap: rules,
  };
  const inv = (uri: string, headers: Record<string, string> = {}) => ({
    header: (n: string) => headers[n],
    calledNumber: /^sip:([^@;]+)/.exec(uri)?.[1],
    requestUri: uri,
  });

  it('goes to the PIN step with the PIN, ahead of the default room', () => {
    expect(routeInvite(inv('sip:+4930123456,,12345678%23@gw'), base)).toEqual({ kind: 'pin', pin: '12345678' });
    expect(routeInvite(inv('sip:+4930123456@gw'), base)).toMatchObject({ kind: 'room', target: { roomJid: 'lobby@muc.meet.jitsi' } });
  });

  it('lets a room header win, and ignores the PIN when there is no PIN step', () => {
    expect(routeInvite(inv('sip:+4930123456,,12345678@gw', { 'X-Room-Name': 'standup' }), base)).toMatchObject({ kind: 'room' });
    expect(routeInvite(inv('sip:+4930123456,,12345678@gw'), { ...base, pinPrompt: false })).toMatchObject({ kind: 'room', target: { source: 'default-room' } });
  });
});
