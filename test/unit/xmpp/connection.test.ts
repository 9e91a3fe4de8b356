import { describe, expect, it } from 'vitest';
import { chooseSaslMechanism, errorElement, iqError, iqResult, xml, XmppStanzaError } from '../../../src/xmpp/connection.js';

describe('SASL mechanism choice', () => {
  const offered = ['SCRAM-SHA-1', 'PLAIN', 'ANONYMOUS'];

  it('uses PLAIN for an account when plain is allowed, even without TLS', () => {
    expect(chooseSaslMechanism(offered, { hasCredentials: true, allowPlain: true, secure: false })).toEqual({ mechanism: 'PLAIN' });
  });

  it('uses SCRAM when plain is not allowed', () => {
    expect(chooseSaslMechanism(offered, { hasCredentials: true, allowPlain: false, secure: false })).toEqual({ mechanism: 'SCRAM-SHA-1' });
  });

  it('uses PLAIN over TLS when it is the only password mechanism', () => {
    expect(chooseSaslMechanism(['PLAIN'], { hasCredentials: true, allowPlain: false, secure: true })).toEqual({ mechanism: 'PLAIN' });
  });

  it('refuses to send a password in the clear when plain is not allowed', () => {
    const c = chooseSaslMechanism(['PLAIN', 'ANONYMOUS'], { hasCredentials: true, allowPlain: false, secure: false });
    expect('error' in c).toBe(true);
  });

  it('logs in anonymously without credentials, and says so when the host does not allow it', () => {
    expect(chooseSaslMechanism(offered, { hasCredentials: false, allowPlain: true, secure: false })).toEqual({ mechanism: 'ANONYMOUS' });
    const c = chooseSaslMechanism(['PLAIN'], { hasCredentials: false, allowPlain: true, secure: false });
    expect('error' in c && c.error).toMatch(/anonymous/);
  });
});

describe('stanza error helpers', () => {
  it('builds an RFC 6120 error element with optional text', () => {
    expect(errorElement('forbidden', 'auth', 'no').toString()).toBe(
      '<error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">no</text></error>',
    );
    expect(errorElement('item-not-found', 'cancel').getChildElements()).toHaveLength(1);
  });

  it('addresses replies back to the sender with the same id', () => {
    const iq = xml('iq', { type: 'set', id: 'x1', from: 'a@b/c', to: 'd@e/f' }, xml('dial', { xmlns: 'urn:xmpp:rayo:1' }));
    const err = iqError(iq, 'service-unavailable', 'cancel');
    expect(err.attrs).toMatchObject({ type: 'error', id: 'x1', to: 'a@b/c', from: 'd@e/f' });
    expect(err.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    const ok = iqResult(iq, xml('ref', { xmlns: 'urn:xmpp:rayo:1', uri: 'xmpp:r@m/n' }));
    expect(ok.attrs).toMatchObject({ type: 'result', id: 'x1', to: 'a@b/c' });
    expect(ok.getChild('ref')?.attrs['uri']).toBe('xmpp:r@m/n');
  });

  it('reads condition, type, text and the application element of a received error', () => {
    const el = xml(
      'error',
      { type: 'auth' },
      xml('registration-required', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
      xml('text', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }, 'members only'),
      xml('lobbyroom', { xmlns: 'http://jitsi.org/jitmeet' }, 'lobby@lobby.meet.test'),
    );
    const e = XmppStanzaError.fromErrorElement(el);
    expect(e).toMatchObject({ condition: 'registration-required', type: 'auth', text: 'members only' });
    expect(e.application?.text()).toBe('lobby@lobby.meet.test');
    expect(e.toElement().getChild('registration-required')).toBeDefined();
  });
});
