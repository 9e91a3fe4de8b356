import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { xml, type Element } from '../../../src/xmpp/connection.js';
import { MucRoom } from '../../../src/xmpp/conference/muc-room.js';
import { parseMucPresence } from '../../../src/xmpp/conference/muc-presence.js';

const ROOM = 'room@muc.meet.test';
const ME = '0a1b2c3d';
const MUC_USER = 'http://jabber.org/protocol/muc#user';

function occupantPresence(
  nick: string,
  opts: { type?: string; codes?: string[]; role?: string; affiliation?: string; extra?: Element[]; itemChildren?: Element[] } = {},
): Element {
  const item = xml('item', { role: opts.role ?? 'participant', affiliation: opts.affiliation ?? 'none' }, ...(opts.itemChildren ?? []));
  const x = xml('x', { xmlns: MUC_USER }, item, ...(opts.codes ?? []).map((code) => xml('status', { code })), ...(opts.extra ?? []));
  return xml('presence', { from: `${ROOM}/${nick}`, ...(opts.type ? { type: opts.type } : {}) }, x);
}

function setup() {
  const sent: Element[] = [];
  const room = new MucRoom(ROOM, ME, async (s) => {
    sent.push(s);
  }, silentLogger());
  const deliver = (stanza: Element): void => room.handlePresence(parseMucPresence(stanza)!, stanza);
  return { room, sent, deliver };
}

const never = new AbortController().signal;

describe('MucRoom', () => {
  it('joins with the given presence and collects the occupants announced before our own', async () => {
    const { room, sent, deliver } = setup();
    const joining = room.join(xml('presence', { to: `${ROOM}/${ME}` }), 1000, never);
    expect(sent).toHaveLength(1);
    deliver(occupantPresence('focus', { role: 'moderator', affiliation: 'owner' }));
    deliver(occupantPresence('web1', { extra: [] }));
    deliver(occupantPresence(ME, { codes: ['110'] }));
    const outcome = await joining;
    expect(outcome.kind).toBe('joined');
    if (outcome.kind === 'joined') expect(outcome.occupants.map((o) => o.nick)).toEqual(['focus', 'web1']);
    expect(room.state).toBe('joined');
  });

  it('follows a nick the room assigned (status 210)', async () => {
    const { room, deliver } = setup();
    const joining = room.join(xml('presence'), 1000, never);
    deliver(occupantPresence('renamed', { codes: ['110', '210'] }));
    await joining;
    expect(room.occupantJid).toBe(`${ROOM}/renamed`);
  });

  it('turns an error presence into the outcome and a silent room into a timeout', async () => {
    const { room, deliver } = setup();
    const refused = room.join(xml('presence'), 1000, never);
    deliver(
      xml(
        'presence',
        { from: `${ROOM}/${ME}`, type: 'error' },
        xml('error', { type: 'auth' }, xml('not-authorized', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' })),
      ),
    );
    expect(await refused).toEqual({ kind: 'password-required' });
    expect(room.state).toBe('gone');
    const silent = await room.join(xml('presence'), 30, never);
    expect(silent).toMatchObject({ kind: 'error', condition: 'remote-server-timeout' });
  });

  it('reports occupants joining and leaving once joined', async () => {
    const { room, deliver } = setup();
    const joining = room.join(xml('presence'), 1000, never);
    deliver(occupantPresence('focus'));
    deliver(occupantPresence(ME, { codes: ['110'] }));
    await joining;
    const changes: Array<{ count: number; joined?: string; left?: string }> = [];
    room.on('occupantsChanged', (c) => changes.push({ count: c.count, joined: c.joined?.nick, left: c.left?.nick }));
    deliver(occupantPresence('web1'));
    deliver(occupantPresence('web1')); // a presence update, not a new occupant
    deliver(occupantPresence('web1', { type: 'unavailable', role: 'none' }));
    expect(changes).toEqual([
      { count: 2, joined: 'web1', left: undefined },
      { count: 1, joined: undefined, left: 'web1' },
    ]);
  });

  it('reports the occupants found on joining, and their loss when the connection drops', async () => {
    const { room, deliver } = setup();
    const counts: number[] = [];
    room.on('occupantsChanged', (c) => counts.push(c.count));
    const joining = room.join(xml('presence'), 1000, never);
    deliver(occupantPresence('focus'));
    deliver(occupantPresence('web1'));
    deliver(occupantPresence(ME, { codes: ['110'] }));
    await joining;
    expect(counts).toEqual([2]);
    room.detach();
    expect(counts).toEqual([2, 0]);
  });

  it('tells a kick from a destruction and from our own leave', async () => {
    const joinedRoom = async () => {
      const s = setup();
      const joining = s.room.join(xml('presence'), 1000, never);
      s.deliver(occupantPresence(ME, { codes: ['110'] }));
      await joining;
      const events: string[] = [];
      s.room.on('kicked', (i) => events.push(`kicked:${i.reason}:${i.actor}:${i.statusCodes.join(',')}`));
      s.room.on('destroyed', (i) => events.push(`destroyed:${i.reason}`));
      return { ...s, events };
    };

    const kicked = await joinedRoom();
    kicked.deliver(
      occupantPresence(ME, {
        type: 'unavailable',
        role: 'none',
        codes: ['110', '307'],
        itemChildren: [xml('actor', { nick: 'moderator' }), xml('reason', {}, 'bye')],
      }),
    );
    expect(kicked.events).toEqual(['kicked:bye:moderator:110,307']);
    expect(kicked.room.state).toBe('gone');

    const destroyed = await joinedRoom();
    destroyed.deliver(
      occupantPresence(ME, {
        type: 'unavailable',
        role: 'none',
        codes: ['110'],
        extra: [xml('destroy', {}, xml('reason', {}, 'over'))],
      }),
    );
    expect(destroyed.events).toEqual(['destroyed:over']);

    const leaving = await joinedRoom();
    const left = leaving.room.leave('Call ended', 1000, never);
    await Promise.resolve();
    const leavePresence = leaving.sent.at(-1)!;
    expect(leavePresence.attrs).toMatchObject({ to: `${ROOM}/${ME}`, type: 'unavailable' });
    expect(leavePresence.getChildText('status')).toBe('Call ended');
    leaving.deliver(occupantPresence(ME, { type: 'unavailable', role: 'none', codes: ['110'] }));
    await left;
    expect(leaving.events).toEqual([]);
    expect(leaving.room.state).toBe('gone');
  });

  it('ends a join at once when aborted', async () => {
    const { room } = setup();
    const abort = new AbortController();
    const joining = room.join(xml('presence'), 10_000, abort.signal);
    abort.abort();
    expect(await joining).toMatchObject({ kind: 'error', condition: 'aborted' });
  });
});
