import { describe, expect, it } from 'vitest';
import { xml, type Element } from '../../../src/xmpp/connection.js';
import { classifyJoinError } from '../../../src/xmpp/conference/join-outcome.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

function errorPresence(condition: string, type: string, ...extra: Element[]): Element {
  return xml(
    'presence',
    { from: 'room@muc.meet.test/0a1b2c3d', type: 'error' },
    xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
    xml('error', { type }, xml(condition, { xmlns: STANZAS }), ...extra),
  );
}

describe('classifyJoinError', () => {
  it('reads the lobby room from the Jitsi lobby error', () => {
    const p = errorPresence(
      'registration-required',
      'auth',
      xml('lobbyroom', { xmlns: 'http://jitsi.org/jitmeet' }, 'room@lobby.meet.test'),
    );
    expect(classifyJoinError(p)).toEqual({ kind: 'lobby', lobbyRoomJid: 'room@lobby.meet.test' });
  });

  it('accepts the legacy namespace-less lobbyroom next to the error', () => {
    const p = errorPresence('registration-required', 'auth');
    p.append(xml('lobbyroom', {}, 'room@lobby.meet.test'));
    expect(classifyJoinError(p)).toEqual({ kind: 'lobby', lobbyRoomJid: 'room@lobby.meet.test' });
  });

  it('treats members-only without a lobby as an error', () => {
    expect(classifyJoinError(errorPresence('registration-required', 'auth'))).toEqual({
      kind: 'error',
      condition: 'registration-required',
      text: undefined,
    });
  });

  it.each([
    ['not-authorized', 'auth', { kind: 'password-required' }],
    ['service-unavailable', 'wait', { kind: 'room-full' }],
    ['forbidden', 'auth', { kind: 'banned' }],
  ])('maps %s', (condition, type, expected) => {
    expect(classifyJoinError(errorPresence(condition, type))).toEqual(expected);
  });

  it('keeps the condition and text of anything else', () => {
    const p = errorPresence('conflict', 'cancel', xml('text', { xmlns: STANZAS }, 'nick in use'));
    expect(classifyJoinError(p)).toEqual({ kind: 'error', condition: 'conflict', text: 'nick in use' });
  });
});
