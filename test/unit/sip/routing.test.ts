import { describe, expect, it } from 'vitest';
import { CidrSet } from '../../../src/sip/admission/cidr.js';
import { InvalidRoomError, mucDomainFor, normalizeRoom } from '../../../src/sip/admission/room-target.js';
import { routeInvite, type RoutingRules } from '../../../src/sip/admission/route.js';

const layout = { domain: 'meet.jitsi', mucDomain: 'muc.meet.jitsi' };
const rules: RoutingRules = {
  layout,
  roomHeaders: ['Jitsi-Conference-Room', 'X-Room-Name'],
  roomPasswordHeader: 'Jitsi-Conference-Room-Pass',
  domainBaseHeaders: ['Jitsi-Conference-Domain-Base', 'X-Domain-Base'],
  tenantHeader: 'Jitsi-Conference-Domain-Tenant',
  numberMap: { '+15551230001': 'standup', '4000': 'allhands@muc.other.example' },
  defaultRoom: undefined,
  pinPrompt: false,
};

function invite(headers: Record<string, string>, calledNumber?: string) {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { header: (n: string) => lower.get(n.toLowerCase()), calledNumber };
}

describe('normalizeRoom', () => {
  it('accepts every unambiguous way of naming a room', () => {
    expect(normalizeRoom('DailyStandup', 'muc.meet.jitsi')).toBe('dailystandup@muc.meet.jitsi');
    expect(normalizeRoom(' "standup@MUC.meet.jitsi" ', 'x.y')).toBe('standup@muc.meet.jitsi');
    expect(normalizeRoom('<xmpp:standup@muc.meet.jitsi>', 'x.y')).toBe('standup@muc.meet.jitsi');
    expect(normalizeRoom('team.sync', 'muc.meet.jitsi')).toBe('team.sync@muc.meet.jitsi');
  });

  it('rejects names a room cannot have, with a 404 verdict', () => {
    for (const bad of ['', '   ', 'two words', 'a/b', '@muc.meet.jitsi', 'room@not_a_domain']) {
      expect(() => normalizeRoom(bad, 'muc.meet.jitsi')).toThrow(InvalidRoomError);
    }
    try {
      normalizeRoom('a b', 'muc.meet.jitsi');
    } catch (e) {
      expect((e as InvalidRoomError).sipStatus).toBe(404);
    }
  });
});

describe('mucDomainFor', () => {
  it('builds the MUC domain of another domain base and tenant', () => {
    expect(mucDomainFor(layout)).toBe('muc.meet.jitsi');
    expect(mucDomainFor(layout, 'meet.example.com')).toBe('muc.meet.example.com');
    expect(mucDomainFor(layout, 'meet.example.com', 'Acme')).toBe('muc.acme.meet.example.com');
    expect(mucDomainFor({ domain: 'a.b', mucDomain: 'rooms.example' }, 'c.d')).toBe('conference.c.d');
  });
});

describe('routeInvite', () => {
  it('prefers the room header, in the configured header order, with its password', () => {
    const d = routeInvite(invite({ 'X-Room-Name': 'second', 'jitsi-conference-room': 'First', 'Jitsi-Conference-Room-Pass': 'pw' }, '4000'), rules);
    expect(d).toEqual({ kind: 'room', target: { roomJid: 'first@muc.meet.jitsi', password: 'pw', source: 'header' } });
  });

  it('applies the domain base and tenant headers to a bare room name', () => {
    const d = routeInvite(invite({ 'X-Room-Name': 'r1', 'X-Domain-Base': 'meet.example.com', 'Jitsi-Conference-Domain-Tenant': 't1' }), rules);
    expect(d).toMatchObject({ kind: 'room', target: { roomJid: 'r1@muc.t1.meet.example.com' } });
  });

  it('falls back to the number map, then the default room, then the PIN prompt, then 404', () => {
    expect(routeInvite(invite({}, '+1 555 123 0001'), rules)).toMatchObject({ kind: 'room', target: { roomJid: 'standup@muc.meet.jitsi', source: 'number-map' } });
    expect(routeInvite(invite({}, '4000'), rules)).toMatchObject({ target: { roomJid: 'allhands@muc.other.example' } });
    expect(routeInvite(invite({}, '999'), { ...rules, defaultRoom: 'lobby' })).toMatchObject({ target: { roomJid: 'lobby@muc.meet.jitsi', source: 'default-room' } });
    expect(routeInvite(invite({}, '999'), { ...rules, pinPrompt: true })).toEqual({ kind: 'pin' });
    expect(routeInvite(invite({}, '999'), rules)).toMatchObject({ kind: 'reject', status: 404 });
  });

  it('throws a 404 verdict for a room header that cannot name a room', () => {
    expect(() => routeInvite(invite({ 'X-Room-Name': 'no spaces allowed' }), rules)).toThrow(InvalidRoomError);
  });
});

describe('CidrSet', () => {
  it('matches addresses inside the listed networks only', () => {
    const s = new CidrSet(['192.0.2.0/24', '198.51.100.7/32', '10.0.0.0/8']);
    expect(s.has('192.0.2.200')).toBe(true);
    expect(s.has('::ffff:198.51.100.7')).toBe(true);
    expect(s.has('10.255.1.1')).toBe(true);
    expect(s.has('198.51.100.8')).toBe(false);
    expect(s.has('192.0.3.1')).toBe(false);
    expect(s.has('not-an-ip')).toBe(false);
    expect(new CidrSet(['0.0.0.0/0']).has('203.0.113.9')).toBe(true);
    expect(() => new CidrSet(['1.2.3.4/40'])).toThrow();
  });
});
