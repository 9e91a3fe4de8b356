import { describe, expect, it } from 'vitest';
import { buildParticipantPresence, type ParticipantPresenceState } from '../../../src/xmpp/conference/presence-builder.js';

const base: ParticipantPresenceState = {
  nick: '+15551234567',
  direction: 'in',
  extraHeaders: {},
  audioMuteFeature: false,
  region: undefined,
  statsId: undefined,
  version: 'gw 1.0',
  audioMuted: false,
  status: undefined,
  raisedHand: null,
};

const TO = 'room@muc.meet.test/0a1b2c3d';

describe('participant presence', () => {
  it('has the stanza 04 A children, in order, for a minimal inbound caller', () => {
    const p = buildParticipantPresence(TO, base, { password: undefined });
    expect(p.attrs['to']).toBe(TO);
    expect(p.attrs['type']).toBeUndefined();
    expect(p.getChildElements().map((c) => `${c.name}|${c.attrs['xmlns'] ?? ''}`)).toEqual([
      'x|http://jabber.org/protocol/muc',
      'nick|http://jabber.org/protocol/nick',
      'stat|http://jitsi.org/protocol/colibri',
      'initiator|http://jitsi.org/protocol/jigasi',
      'features|jabber:client',
      'audiomuted|jabber:client',
    ]);
    expect(p.getChild('x')?.getChildElements()).toEqual([]);
    expect(p.getChildText('nick')).toBe('+15551234567');
    expect(p.getChild('stat')?.attrs).toMatchObject({ name: 'version', value: 'gw 1.0' });
    expect(p.getChild('features')?.getChildren('feature').map((f) => f.attrs['var'])).toEqual([
      'http://jitsi.org/protocol/jigasi',
      'urn:xmpp:jingle:dtmf:0',
    ]);
    expect(p.getChildText('audiomuted')).toBe('false');
    const headers = p.getChild('initiator')?.getChildren('header') ?? [];
    expect(headers.map((h) => h.attrs)).toEqual([{ xmlns: 'urn:xmpp:rayo:1', name: 'JigasiCallDirection', value: 'in' }]);
  });

  it('carries every optional element when configured', () => {
    const p = buildParticipantPresence(
      TO,
      {
        ...base,
        direction: 'out',
        extraHeaders: { 'X-A': '1', JigasiCallDirection: 'in', 'X-B': '2' },
        audioMuteFeature: true,
        region: 'eu-west',
        statsId: 'stats-9',
        audioMuted: true,
        status: 'Connected',
        raisedHand: 1718000000000,
      },
      { password: 'pw' },
    );
    expect(p.getChild('x')?.getChildText('password')).toBe('pw');
    expect(p.getChildText('jitsi_participant_region')).toBe('eu-west');
    expect(p.getChildText('stats-id')).toBe('stats-9');
    expect(p.getChildText('audiomuted')).toBe('true');
    expect(p.getChildText('jitsi_participant_raisedHand')).toBe('1718000000000');
    expect(p.getChildText('status')).toBe('Connected');
    expect(p.getChild('features')?.getChildren('feature').map((f) => f.attrs['var'])).toContain(
      'http://jitsi.org/protocol/audio-mute',
    );
    // The direction header comes first and is not duplicated by an extra header of the same name.
    const headers = (p.getChild('initiator')?.getChildren('header') ?? []).map((h) => [h.attrs['name'], h.attrs['value']]);
    expect(headers).toEqual([
      ['JigasiCallDirection', 'out'],
      ['X-A', '1'],
      ['X-B', '2'],
    ]);
  });

  it('leaves the MUC <x> out of updates', () => {
    const p = buildParticipantPresence(TO, { ...base, status: 'Initializing Call' });
    expect(p.getChild('x')).toBeUndefined();
    expect(p.getChildText('status')).toBe('Initializing Call');
  });

  it('omits an empty password', () => {
    const p = buildParticipantPresence(TO, base, { password: '' });
    expect(p.getChild('x')?.getChild('password')).toBeUndefined();
  });
});
