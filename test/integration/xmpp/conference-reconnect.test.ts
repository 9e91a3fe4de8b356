import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ConferenceSession } from '../../../src/xmpp/conference/index.js';
import type { Element } from '../../../src/xmpp/connection.js';
import { FakeFocus } from '../../support/fake-focus.js';
import { reconnectLikeJicofo } from '../../support/fake-focus/reconnect.js';
import { SessionFactory } from '../../support/fake-focus/session-fixture.js';
import { prosodyAvailable, startProsody, type ProsodyHarness } from '../../support/prosody.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { until } from '../../support/until.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

/** Reconnect window of these sessions: room for a Prosody restart on a busy machine. */
const WINDOW_MS = 8000;

function isPresenceOf(occupantJid: string, type?: string): (s: Element) => boolean {
  return (s) => s.is('presence') && s.attrs['from'] === occupantJid && s.attrs['type'] === type;
}

/** Every event the session emits about its connection, in order. */
function recordConnectionEvents(session: ConferenceSession): string[] {
  const events: string[] = [];
  session.on('reconnecting', ({ resumable }) => events.push(`reconnecting resumable=${resumable}`));
  session.on('roomLost', () => events.push('roomLost'));
  session.on('reconnected', ({ resumed }) => events.push(`reconnected resumed=${resumed}`));
  session.on('disconnected', ({ reason }) => events.push(`disconnected ${reason}`));
  return events;
}

describe.skipIf(!available)('a conference session whose connection drops (Prosody with stream management)', () => {
  let prosody: ProsodyHarness;
  let focus: FakeFocus;
  let sessions: SessionFactory;
  let proxy: TcpProxy;

  beforeAll(async () => {
    // mod_smacks as docker-jitsi-meet enables it.
    prosody = await startProsody({ modules: ['smacks'] });
    focus = await FakeFocus.start(prosody);
    sessions = new SessionFactory(prosody, focus);
    proxy = await TcpProxy.start(prosody.port);
  });
  afterEach(async () => {
    await sessions.closeAll();
  });
  afterAll(async () => {
    await proxy?.close();
    await focus?.close();
    await prosody?.dispose();
  });

  async function joined(room: string, overrides: Parameters<SessionFactory['create']>[1]): Promise<ConferenceSession> {
    await focus.hostRoom(room);
    const session = sessions.create(room, { reconnectWindowMs: WINDOW_MS, ...overrides });
    expect((await session.start()).kind).toBe('joined');
    await focus.waitFor(isPresenceOf(session.occupantJid));
    return session;
  }

  it('resumes the stream after a network cut: still in the room, nobody saw it leave', async () => {
    const user = `caller-${randomUUID().slice(0, 8)}`;
    await prosody.createUser(user, prosody.authDomain, 'pw');
    const room = sessions.newRoom('resume');
    const session = await joined(room, {
      service: proxy.service,
      login: { mode: 'password', domain: prosody.authDomain, username: user, password: 'pw' },
    });
    const events = recordConnectionEvents(session);
    const seen = focus.received.length;

    proxy.cut();
    await session.waitFor('reconnected', WINDOW_MS);
    expect(events).toEqual(['reconnecting resumable=true', 'reconnected resumed=true']);
    expect(session.joined).toBe(true);
    // The stream carries on: a presence update reaches the room, and no leave or rejoin was seen.
    await session.setStatus('Still here');
    await focus.waitFor((s) => isPresenceOf(session.occupantJid)(s) && s.getChildText('status') === 'Still here');
    const after = focus.received.slice(seen);
    expect(after.filter(isPresenceOf(session.occupantJid, 'unavailable'))).toHaveLength(0);
  });

  it('rejoins with the same nick after a Prosody restart, once the focus is back', async () => {
    const room = sessions.newRoom('restart');
    const session = await joined(room, {});
    const events = recordConnectionEvents(session);
    const back = reconnectLikeJicofo(focus, () => [room]);
    const focusBack = back.back();
    try {
      const seen = focus.received.length;
      // Waiting from before the drop: the session's window starts there.
      const reconnected = session.waitFor('reconnected', WINDOW_MS + 1000);
      await prosody.restart();
      await focusBack;
      await reconnected;
      // Anonymous logins never resume (a new login is a new user), and the restart forgot the session anyway.
      expect(events).toEqual(['reconnecting resumable=true', 'roomLost', 'reconnected resumed=false']);
      expect(session.joined).toBe(true);
      const rejoin = await until(() => focus.received.slice(seen).some(isPresenceOf(session.occupantJid)), 5000, 'the rejoin presence').then(
        () => focus.received.slice(seen).find(isPresenceOf(session.occupantJid)),
      );
      expect(rejoin?.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('+15551234567');
      // The focus was asked for the conference again before the rejoin.
      expect(focus.received.slice(seen).filter((s) => s.is('iq') && s.getChild('conference') !== undefined).length).toBeGreaterThan(0);
    } finally {
      back.stop();
    }
  });

  it('gives up with reconnect-failed when the server stays away longer than the window', async () => {
    const room = sessions.newRoom('gone');
    const windowMs = 1500;
    const session = await joined(room, { reconnectWindowMs: windowMs });
    const events = recordConnectionEvents(session);
    const lostAt = Date.now();
    const gone = session.waitFor('disconnected', windowMs + 5000);
    await prosody.stop();
    try {
      const [ev] = await gone;
      expect(ev.reason).toBe('reconnect-failed');
      expect(Date.now() - lostAt).toBeGreaterThanOrEqual(windowMs - 100);
      // Prosody may tell the room first that our session failed (status 333): the room is then lost before the stream.
      expect(events.filter((e) => e !== 'roomLost')).toEqual(['reconnecting resumable=true', 'disconnected reconnect-failed']);
      expect(session.joined).toBe(false);
    } finally {
      await prosody.start();
      // The focus lost its connection too: later tests get a fresh one.
      await focus.close();
      focus = await FakeFocus.start(prosody);
      sessions = new SessionFactory(prosody, focus);
    }
  });
});
