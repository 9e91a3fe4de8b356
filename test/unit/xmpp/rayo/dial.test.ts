import { describe, expect, it } from 'vitest';
import { xml, XmppStanzaError } from '../../../../src/xmpp/connection.js';
import { parseDial, refElement } from '../../../../src/xmpp/rayo/index.js';

const NS = 'urn:xmpp:rayo:1';
const header = (name: string, value: string) => xml('header', { xmlns: NS, name, value });

describe('parseDial', () => {
  it('reads the number, the room, its password and the other headers (stanza 02 shape)', () => {
    const d = parseDial(
      xml(
        'dial',
        { xmlns: NS, to: '0123456789', from: 'fromnumber' },
        header('JvbRoomName', 'AppealingSeries@conference.domain.com'),
        header('JvbRoomPassword', 'pw'),
        header('X-Customer', 'acme'),
      ),
    );
    expect(d).toEqual({
      to: '0123456789',
      from: 'fromnumber',
      roomJid: 'appealingseries@conference.domain.com',
      roomPassword: 'pw',
      headers: { 'X-Customer': 'acme' },
    });
  });

  it('refuses a dial without a number or a room with bad-request', () => {
    for (const el of [
      xml('dial', { xmlns: NS, to: '' }, header('JvbRoomName', 'r@muc.x')),
      xml('dial', { xmlns: NS, to: '123' }),
      xml('dial', { xmlns: NS, to: '123' }, header('JvbRoomName', 'not a jid')),
    ]) {
      let err: unknown;
      try {
        parseDial(el);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(XmppStanzaError);
      expect((err as XmppStanzaError).condition).toBe('bad-request');
    }
  });

  it('answers with an xmpp: ref to the call occupant', () => {
    expect(refElement('room@muc.x/3f2a9c1b').toString()).toBe('<ref xmlns="urn:xmpp:rayo:1" uri="xmpp:room@muc.x/3f2a9c1b"/>');
  });
});
