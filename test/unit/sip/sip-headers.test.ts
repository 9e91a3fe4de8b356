import { describe, expect, it } from 'vitest';
import { isPassableHeader, parseNameAddr, q850Reason, reasonText, warningHeader } from '../../../src/sip/sip-headers.js';
import { dialTarget } from '../../../src/sip/outbound.js';
import { OutboundCallError, outboundFailureOf } from '../../../src/sip/errors.js';

describe('name-addr parsing', () => {
  it('reads quoted, unquoted and missing display names and the user', () => {
    expect(parseNameAddr('"Alice \\"A\\" Smith" <sip:+4930123@pbx.example.com;user=phone>;tag=1')).toEqual({
      displayName: 'Alice "A" Smith',
      uri: 'sip:+4930123@pbx.example.com;user=phone',
      user: '+4930123',
    });
    expect(parseNameAddr('Bob <sips:bob@example.com>')).toEqual({ displayName: 'Bob', uri: 'sips:bob@example.com', user: 'bob' });
    expect(parseNameAddr('sip:1000@10.0.0.1;tag=abc')).toEqual({ displayName: undefined, uri: 'sip:1000@10.0.0.1', user: '1000' });
    expect(parseNameAddr('"" <tel:+15551234>')).toEqual({ displayName: undefined, uri: 'tel:+15551234', user: '+15551234' });
    expect(parseNameAddr('<sip:anonymous.invalid>').user).toBeUndefined();
    expect(parseNameAddr('<sip:%2B4930@h>').user).toBe('+4930');
  });
});

describe('header values we write', () => {
  it('keeps Warning and Reason text on one line with quotes escaped', () => {
    expect(warningHeader('10.0.0.5:5060', 'bad "sdp"\r\nInjected: x')).toBe('399 10.0.0.5:5060 "bad \\"sdp\\" Injected: x"');
    expect(q850Reason('kicked')).toBe('Q.850;cause=16;text="kicked"');
  });

  it('reads the text of a Reason header, or the header itself when it has none', () => {
    expect(reasonText('Q.850;cause=16;text="Normal call clearing"')).toBe('Normal call clearing');
    expect(reasonText('SIP;cause=200;text="Call completed elsewhere"')).toBe('Call completed elsewhere');
    expect(reasonText('Q.850;cause=17')).toBe('Q.850;cause=17');
    expect(reasonText(undefined)).toBeUndefined();
  });

  it('passes on custom headers only, without line breaks', () => {
    expect(isPassableHeader('X-Room-Name', 'standup')).toBe(true);
    expect(isPassableHeader('JvbRoomName', 'a@b')).toBe(true);
    for (const name of ['Via', 'call-id', 'Contact', 'Content-Type', 'Authorization']) expect(isPassableHeader(name, 'x')).toBe(false);
    expect(isPassableHeader('X-A', 'a\r\nVia: evil')).toBe(false);
    expect(isPassableHeader('Bad Name', 'x')).toBe(false);
  });
});

describe('dial-out target', () => {
  const server = { host: 'trunk.example.com', port: 5061 };

  it('puts the prefix before the number and strips visual separators from phone numbers', () => {
    expect(dialTarget({ number: '+1 (555) 123-4567', prefix: '0', server, transport: 'udp' })).toBe('sip:0+15551234567@trunk.example.com:5061');
    expect(dialTarget({ number: 'sales-team', server, transport: 'tcp' })).toBe('sip:sales-team@trunk.example.com:5061;transport=tcp');
  });

  it('escapes # and refuses what cannot be a SIP user', () => {
    expect(dialTarget({ number: '123#', server, transport: 'tls' })).toBe('sip:123%23@trunk.example.com:5061;transport=tls');
    expect(() => dialTarget({ number: 'a@b', server, transport: 'udp' })).toThrow(OutboundCallError);
    expect(() => dialTarget({ number: '  ', server, transport: 'udp' })).toThrow(/cannot dial/);
  });

  it('maps final statuses to what they mean for the dialler', () => {
    expect([486, 600, 408, 480, 487, 603, 404, 484, 407, 502].map(outboundFailureOf)).toEqual([
      'busy', 'busy', 'no-answer', 'no-answer', 'no-answer', 'declined', 'not-found', 'not-found', 'auth-failed', 'failed',
    ]);
  });
});
