import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JoinFailedError } from '../../../src/xmpp/conference/index.js';
import { prosodyAvailable, type ProsodyHarness } from '../../support/prosody.js';
import { FakeFocus, MucTestParticipant } from '../../support/fake-focus.js';
import { SessionFactory, startConferenceProsody } from '../../support/fake-focus/session-fixture.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

/** Where the test lobby plugin sends callers of `room`. */
function lobbyOf(room: string): string {
  const [node, host] = room.split('@');
  return `${node}-lobby@${host}`;
}

describe.skipIf(!available)('ConferenceSession join outcomes against a real Prosody', () => {
  let prosody: ProsodyHarness;
  let focus: FakeFocus;
  let sessions: SessionFactory;
  const extras: MucTestParticipant[] = [];

  beforeAll(async () => {
    prosody = await startConferenceProsody();
    focus = await FakeFocus.start(prosody);
    sessions = new SessionFactory(prosody, focus);
  });

  afterEach(async () => {
    await sessions.closeAll();
    await Promise.all(extras.splice(0).map((p) => p.close()));
  });

  afterAll(async () => {
    await focus?.close();
    await prosody?.dispose();
  });

  describe('room password', () => {
    it('is required when missing or wrong, and the right one gets in', async () => {
      const room = sessions.newRoom();
      await focus.hostRoom(room, { password: 'secret' });

      const missing = sessions.create(room);
      expect(await missing.start()).toEqual({ kind: 'password-required' });
      expect(missing.joined).toBe(false);

      expect(await missing.submitPassword('wrong')).toEqual({ kind: 'password-required' });
      const retried = await missing.submitPassword('secret');
      expect(retried.kind).toBe('joined');
      expect(missing.joined).toBe(true);
      await focus.waitForGateway(room);
    });

    it('is sent in the MUC join when configured', async () => {
      const room = sessions.newRoom();
      await focus.hostRoom(room, { password: 'secret' });
      const session = sessions.create(room, { roomPassword: 'secret' });
      const outcome = await session.start();
      expect(outcome.kind).toBe('joined');
      if (outcome.kind === 'joined') expect(outcome.occupants.map((o) => o.nick)).toEqual(['focus']);
    });
  });

  it('reports a full room', async () => {
    const room = sessions.newRoom();
    await focus.hostRoom(room, { maxUsers: 2 });
    const browser = await MucTestParticipant.connect(prosody);
    extras.push(browser);
    await browser.joinRoom(room, 'browser1');
    const session = sessions.create(room);
    expect(await session.start()).toEqual({ kind: 'room-full' });
    expect(session.joined).toBe(false);
  });

  it('reports a ban', async () => {
    const room = sessions.newRoom();
    await focus.hostRoom(room);
    await focus.ban(room, prosody.domain);
    expect(await sessions.create(room).start()).toEqual({ kind: 'banned' });
  });

  describe('lobby', () => {
    async function waitingInLobby(opts: { password?: string; lobbyTimeoutMs?: number } = {}) {
      const room = sessions.newRoom();
      const lobby = lobbyOf(room);
      await focus.hostRoom(room, { membersOnly: true, ...(opts.password !== undefined ? { password: opts.password } : {}) });
      await focus.hostRoom(lobby);
      const session = sessions.create(room, opts.lobbyTimeoutMs !== undefined ? { lobbyTimeoutMs: opts.lobbyTimeoutMs } : {});
      expect(await session.start()).toEqual({ kind: 'lobby', lobbyRoomJid: lobby });
      const entered = session.waitFor('lobbyJoined', 3000);
      const result = session.joinLobby();
      expect(await entered).toEqual([{ lobbyRoomJid: lobby }]);
      const inLobby = await focus.waitForGateway(lobby);
      return { room, lobby, session, result, inLobby };
    }

    it('joins the lobby with the participant presence and enters the room when invited', async () => {
      const { room, lobby, session, result, inLobby } = await waitingInLobby();
      expect(inLobby.nick).toBe(session.resource);
      expect(inLobby.presence.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('+15551234567');
      expect(inLobby.realJid).toBeDefined();

      await focus.invite(room, inLobby.realJid!, 'welcome');
      expect(await result).toBe('admitted');
      expect(session.joined).toBe(true);
      await focus.waitForGateway(room);
      await focus.waitFor(
        (s) => s.is('presence') && s.attrs['from'] === `${lobby}/${session.resource}` && s.attrs['type'] === 'unavailable',
      );
    });

    it('is a denial when the moderator removes the caller from the lobby', async () => {
      const { lobby, session, result, inLobby } = await waitingInLobby();
      await focus.kick(lobby, inLobby.nick, 'not today');
      expect(await result).toBe('denied');
      expect(session.joined).toBe(false);
    });

    it('is a denial when the lobby room goes away', async () => {
      const { lobby, result } = await waitingInLobby();
      await focus.destroyRoom(lobby, 'lobby disabled');
      expect(await result).toBe('denied');
    });

    it('times out and leaves the lobby', async () => {
      const { lobby, session, result } = await waitingInLobby({ lobbyTimeoutMs: 300 });
      expect(await result).toBe('timeout');
      await focus.waitFor(
        (s) => s.is('presence') && s.attrs['from'] === `${lobby}/${session.resource}` && s.attrs['type'] === 'unavailable',
      );
      expect(session.joined).toBe(false);
    });

    it('lets the caller in from the lobby with the room password', async () => {
      const { room, session, result } = await waitingInLobby({ password: '4321' });
      // A wrong password in a members-only room is the lobby again; the caller keeps waiting there.
      expect(await session.submitPassword('1234')).toEqual({ kind: 'lobby', lobbyRoomJid: lobbyOf(room) });
      expect((await session.submitPassword('4321')).kind).toBe('joined');
      expect(await result).toBe('admitted');
      await focus.waitForGateway(room);
    });

    it('close() while waiting ends the wait as a denial and leaves the lobby', async () => {
      const { lobby, session, result } = await waitingInLobby();
      const started = Date.now();
      await session.close();
      expect(await result).toBe('denied');
      await focus.waitFor(
        (s) => s.is('presence') && s.attrs['from'] === `${lobby}/${session.resource}` && s.attrs['type'] === 'unavailable',
      );
      // The lobby confirmed the leave: close() did not sit out the leave timeout.
      expect(Date.now() - started).toBeLessThan(900);
    });

    it('fails loudly when the invitation does not get the caller into the room', async () => {
      const { room, result, inLobby } = await waitingInLobby();
      // Fill the room before admitting: the rejoin is refused.
      await focus.configureRoom(room, { maxUsers: 1 });
      await focus.invite(room, inLobby.realJid!);
      const err = await result.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JoinFailedError);
      expect((err as JoinFailedError).outcome).toEqual({ kind: 'room-full' });
    });
  });
});
