import { describe, expect, it } from 'vitest';
import { xml } from '../../../src/xmpp/connection.js';
import {
  classifyRoomPresence,
  joinPresence,
  leavePresence,
  randomNick,
  sameOccupant,
  updatePresence,
} from '../../../src/xmpp/brewery/brewery-presence.js';
import type { BreweryStats } from '../../../src/xmpp/brewery/stats-element.js';

const ME = 'jigasibrewery@internal-muc.meet.test/abcd1234';
const stats: BreweryStats = { conferences: 1, participants: 3, gracefulShutdown: false, stressLevel: 0.01, version: 'v' };

function mucUser(...codes: string[]) {
  return xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' }, xml('item', { role: 'participant' }), ...codes.map((code) => xml('status', { code })));
}

describe('brewery presence stanzas', () => {
  it('joins with the MUC element, no history, and the stats', () => {
    const p = joinPresence(ME, stats);
    expect(p.attrs['to']).toBe(ME);
    expect(p.attrs['type']).toBeUndefined();
    expect(p.getChild('x', 'http://jabber.org/protocol/muc')?.getChild('history')?.attrs['maxstanzas']).toBe('0');
    expect(p.getChild('stats', 'http://jitsi.org/protocol/colibri')?.getChildren('stat')).toHaveLength(7);
  });

  it('updates without the MUC element so the room does not treat it as a rejoin', () => {
    const p = updatePresence(ME, stats);
    expect(p.getChild('x', 'http://jabber.org/protocol/muc')).toBeUndefined();
    expect(p.getChild('stats', 'http://jitsi.org/protocol/colibri')).toBeDefined();
  });

  it('leaves with unavailable presence', () => {
    expect(leavePresence(ME).toString()).toBe(`<presence to="${ME}" type="unavailable"/>`);
  });

  it('makes 8-hex-digit nicks that differ', () => {
    const a = randomNick();
    expect(a).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(Array.from({ length: 20 }, randomNick)).size).toBeGreaterThan(1);
  });

  it('compares the room part case-insensitively but the nick exactly', () => {
    expect(sameOccupant('JigasiBrewery@Internal-MUC.meet.test/abcd1234', ME)).toBe(true);
    expect(sameOccupant('jigasibrewery@internal-muc.meet.test/ABCD1234', ME)).toBe(false);
    expect(sameOccupant('jigasibrewery@internal-muc.meet.test', ME)).toBe(false);
  });

  it('recognises our own available presence', () => {
    expect(classifyRoomPresence(xml('presence', { from: ME }, mucUser('110')), ME)).toEqual({ kind: 'self-available' });
  });

  it('recognises being removed, with the status codes', () => {
    const p = xml('presence', { from: ME, type: 'unavailable' }, mucUser('307', '110'));
    expect(classifyRoomPresence(p, ME)).toEqual({ kind: 'self-unavailable', statusCodes: ['307', '110'] });
  });

  it('reads a nick conflict from an error presence', () => {
    const p = xml(
      'presence',
      { from: ME, type: 'error' },
      xml('error', { type: 'cancel' }, xml('conflict', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
    );
    const c = classifyRoomPresence(p, ME);
    expect(c.kind).toBe('join-error');
    expect(c.kind === 'join-error' && c.error.condition).toBe('conflict');
  });

  it('ignores other occupants and other stanzas', () => {
    expect(classifyRoomPresence(xml('presence', { from: 'jigasibrewery@internal-muc.meet.test/focus' }, mucUser()), ME)).toEqual({ kind: 'other' });
    expect(classifyRoomPresence(xml('message', { from: ME }), ME)).toEqual({ kind: 'other' });
  });
});
