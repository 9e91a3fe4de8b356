import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { xml, type Element } from '../../../src/xmpp/connection.js';
import { JingleSessionError } from '../../../src/xmpp/jingle/errors.js';
import type { ConferenceSession } from '../../../src/xmpp/conference/index.js';
import { prosodyAvailable, type ProsodyHarness } from '../../support/prosody.js';
import {
  FakeFocus,
  MucTestParticipant,
  buildSessionInitiate,
  buildSourceAdd,
  errorCondition,
  loopbackTransport,
} from '../../support/fake-focus.js';
import { SessionFactory, startConferenceProsody } from '../../support/fake-focus/session-fixture.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

function featureVars(presence: Element): string[] {
  return (presence.getChild('features')?.getChildren('feature') ?? []).map((f) => String(f.attrs['var']));
}

function initiatorHeaders(presence: Element): Array<[string, string]> {
  return (presence.getChild('initiator', 'http://jitsi.org/protocol/jigasi')?.getChildren('header') ?? []).map((h) => [
    String(h.attrs['name']),
    String(h.attrs['value']),
  ]);
}

/** Child elements of a presence as 'name xmlns', without what the MUC service adds. */
function childSignature(presence: Element): string[] {
  return presence
    .getChildElements()
    .filter((c) => !(c.name === 'x' && c.getNS() === NS_MUC_USER) && c.getNS() !== 'urn:xmpp:occupant-id:0')
    .map((c) => `${c.name} ${c.getNS()}`)
    .sort();
}

function timeoutCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe.skipIf(!available)('ConferenceSession against a real Prosody', () => {
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
    focus.conferenceReply = 'ready';
  });

  afterAll(async () => {
    await focus?.close();
    await prosody?.dispose();
  });

  async function joinedSession(room: string, overrides = {}): Promise<ConferenceSession> {
    await focus.hostRoom(room);
    const session = sessions.create(room, overrides);
    const outcome = await session.start();
    expect(outcome.kind).toBe('joined');
    return session;
  }

  async function intruder(room: string, nick = 'mallory'): Promise<MucTestParticipant> {
    const p = await MucTestParticipant.connect(prosody);
    extras.push(p);
    await p.joinRoom(room, nick);
    return p;
  }

  describe('presence', () => {
    it('publishes exactly the contract children, with every optional one when configured', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room, {
        direction: 'out',
        audioMuteFeature: true,
        region: 'us-east-1',
        statsId: 'gw-stats-7',
        extraHeaders: { 'X-Customer': 'acme', 'X-Ticket': '42' },
        nick: 'Alice Caller',
      });
      const gw = await focus.waitForGateway(room);
      expect(gw.nick).toMatch(/^[0-9a-f]{8}$/);
      expect(gw.nick).toBe(session.resource);
      expect(gw.realJid?.split('/')[1]).toBe(session.resource);
      expect(gw.realJid).toMatch(/@meet\.test\//);

      const p = gw.presence;
      expect(childSignature(p)).toEqual(
        [
          'audiomuted jabber:client',
          'features jabber:client',
          'initiator http://jitsi.org/protocol/jigasi',
          'jitsi_participant_region jabber:client',
          'nick http://jabber.org/protocol/nick',
          'stat http://jitsi.org/protocol/colibri',
          'stats-id jabber:client',
        ].sort(),
      );
      expect(p.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Alice Caller');
      expect(featureVars(p)).toEqual([
        'http://jitsi.org/protocol/jigasi',
        'urn:xmpp:jingle:dtmf:0',
        'http://jitsi.org/protocol/audio-mute',
      ]);
      expect(p.getChildText('audiomuted')).toBe('false');
      expect(initiatorHeaders(p)).toEqual([
        ['JigasiCallDirection', 'out'],
        ['X-Customer', 'acme'],
        ['X-Ticket', '42'],
      ]);
      const header = p.getChild('initiator')?.getChild('header');
      expect(header?.getNS()).toBe('urn:xmpp:rayo:1');
      expect(p.getChildText('jitsi_participant_region')).toBe('us-east-1');
      expect(p.getChildText('stats-id')).toBe('gw-stats-7');
      expect(p.getChild('stat')?.attrs).toMatchObject({ name: 'version', value: 'jitsi-sip-gateway-test 0.0.0' });

      // Right after entering, the same presence again with the initial status.
      const withStatus = await focus.waitFor(
        (s) => s.is('presence') && s.attrs['from'] === gw.occupantJid && s.getChildText('status') === 'Initializing Call',
      );
      expect(childSignature(withStatus)).toEqual([...childSignature(p), 'status jabber:client'].sort());
    });

    it('leaves out audio-mute, region and stats-id when not configured', async () => {
      const room = sessions.newRoom();
      await joinedSession(room);
      const { presence } = await focus.waitForGateway(room);
      expect(featureVars(presence)).toEqual(['http://jitsi.org/protocol/jigasi', 'urn:xmpp:jingle:dtmf:0']);
      expect(presence.getChild('jitsi_participant_region')).toBeUndefined();
      expect(presence.getChild('stats-id')).toBeUndefined();
      expect(initiatorHeaders(presence)).toEqual([['JigasiCallDirection', 'in']]);
      expect(presence.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('+15551234567');
    });

    it('publishes status, mute and raised hand updates', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      const gw = await focus.waitForGateway(room);
      await session.setStatus('Connected');
      await session.setAudioMuted(true);
      await session.setRaisedHand(1718000000000);
      const last = await focus.waitFor(
        (s) => s.attrs['from'] === gw.occupantJid && s.getChildText('jitsi_participant_raisedHand') === '1718000000000',
      );
      expect(last.getChildText('status')).toBe('Connected');
      expect(last.getChildText('audiomuted')).toBe('true');
      await session.setRaisedHand(null);
      const lowered = await focus.waitFor(
        (s) => s.attrs['from'] === gw.occupantJid && s.is('presence') && !s.getChild('jitsi_participant_raisedHand'),
        3000,
        false,
      );
      expect(lowered.getChildText('audiomuted')).toBe('true');
    });

    it('answers disco#info with an audio-only feature set', async () => {
      const room = sessions.newRoom();
      await joinedSession(room, { audioMuteFeature: true });
      const gw = await focus.waitForGateway(room);
      const reply = await focus.requestOk(
        xml('iq', { type: 'get', to: gw.occupantJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })),
      );
      const vars = (reply.getChild('query')?.getChildren('feature') ?? []).map((f) => f.attrs['var']);
      expect(vars).toContain('urn:xmpp:jingle:apps:rtp:audio');
      expect(vars).toContain('urn:xmpp:jingle:transports:ice-udp:1');
      expect(vars).toContain('http://jitsi.org/protocol/audio-mute');
      expect(vars).not.toContain('urn:xmpp:jingle:apps:rtp:video');
      expect(vars).not.toContain('urn:xmpp:jingle:transports:dtls-sctp:1');
      expect(vars).not.toContain('http://jitsi.org/tcc');
    });
  });

  describe('conference request', () => {
    it('asks the focus for the room before joining it', async () => {
      const room = sessions.newRoom();
      const before = focus.conferenceRequests.length;
      const session = await joinedSession(room);
      const requests = focus.conferenceRequests.slice(before);
      expect(requests).toHaveLength(1);
      const iq = requests[0]!;
      expect(iq.attrs['type']).toBe('set');
      expect(iq.getChild('conference', 'http://jitsi.org/protocol/focus')?.attrs['room']).toBe(room);
      expect(session.focusAnswer?.ready).toBe(true);
    });

    it('still joins when the focus refuses the request', async () => {
      const room = sessions.newRoom();
      focus.conferenceReply = { error: 'not-authorized' };
      const session = await joinedSession(room);
      expect(session.focusAnswer).toBeUndefined();
      expect(session.joined).toBe(true);
    });

    it('still joins when the focus never answers', async () => {
      const room = sessions.newRoom();
      focus.conferenceReply = 'silent';
      const started = Date.now();
      const session = await joinedSession(room, { focusTimeoutMs: 500 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(session.focusAnswer).toBeUndefined();
      await focus.waitForGateway(room);
    });
  });

  describe('jingle routing', () => {
    const initiate = (sid: string): Element =>
      buildSessionInitiate({
        sid,
        initiator: focus.jid,
        transport: loopbackTransport(),
        sources: [{ ssrc: 1234567, owner: 'abcd1234', name: 'abcd1234-a0', msid: 'abcd1234-audio-0 track' }],
      });

    it('hands Jingle from the focus occupant to the handler and answers result', async () => {
      const room = sessions.newRoom();
      const session = sessions.create(room);
      const seen: Element[] = [];
      session.setJingleHandler(async (iq) => {
        seen.push(iq);
      });
      await focus.hostRoom(room);
      expect((await session.start()).kind).toBe('joined');
      const gw = await focus.waitForGateway(room);
      const reply = await focus.sendJingle(gw.occupantJid, initiate('s1'));
      expect(reply.attrs['type']).toBe('result');
      expect(seen).toHaveLength(1);
      expect(seen[0]!.attrs['from']).toBe(`${room}/focus`);
      expect(seen[0]!.getChild('jingle', 'urn:xmpp:jingle:1')?.attrs['action']).toBe('session-initiate');
    });

    it('refuses Jingle from any other occupant with forbidden', async () => {
      const room = sessions.newRoom();
      const session = sessions.create(room);
      let calls = 0;
      session.setJingleHandler(async () => {
        calls += 1;
      });
      await focus.hostRoom(room);
      await session.start();
      const gw = await focus.waitForGateway(room);
      const mallory = await intruder(room);
      const reply = await mallory.request(xml('iq', { type: 'set', to: gw.occupantJid }, initiate('evil')));
      expect(reply.attrs['type']).toBe('error');
      expect(errorCondition(reply)).toBe('forbidden');
      expect(reply.getChild('error')?.attrs['type']).toBe('auth');
      expect(calls).toBe(0);
    });

    it('turns a handler error into the IQ error it carries', async () => {
      const room = sessions.newRoom();
      const session = sessions.create(room);
      session.setJingleHandler(async (iq) => {
        const action = iq.getChild('jingle')?.attrs['action'];
        if (action === 'source-add') throw JingleSessionError.unknownSession('no such sid');
        throw new Error('bug');
      });
      await focus.hostRoom(room);
      await session.start();
      const gw = await focus.waitForGateway(room);

      const unknown = await focus.sendJingle(gw.occupantJid, buildSourceAdd('nope', [{ ssrc: 1, owner: 'x' }]));
      expect(unknown.attrs['type']).toBe('error');
      expect(errorCondition(unknown)).toBe('item-not-found');
      expect(unknown.getChild('error')?.getChild('unknown-session', 'urn:xmpp:jingle:errors:1')).toBeDefined();

      const crash = await focus.sendJingle(gw.occupantJid, initiate('s2'));
      expect(errorCondition(crash)).toBe('internal-server-error');
    });
  });

  describe('control from the meeting', () => {
    it('applies a moderator mute from the focus: result, event, audiomuted true', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room, { audioMuteFeature: true });
      const gw = await focus.waitForGateway(room);
      const requested = session.waitFor('muteRequested', 3000);
      const reply = await focus.sendMute(gw.occupantJid, true, `${room}/moderator`);
      expect(reply.attrs['type']).toBe('result');
      expect(await requested).toEqual([{ muted: true, actor: `${room}/moderator` }]);
      expect(session.audioMuted).toBe(true);
      await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('audiomuted') === 'true');
    });

    it('reports an unmute request without unmuting', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      const gw = await focus.waitForGateway(room);
      await session.setAudioMuted(true);
      const requested = session.waitFor('muteRequested', 3000);
      expect((await focus.sendMute(gw.occupantJid, false)).attrs['type']).toBe('result');
      expect(await requested).toEqual([{ muted: false, actor: undefined }]);
      expect(session.audioMuted).toBe(true);
    });

    it('refuses a mute from an occupant other than the focus', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      const gw = await focus.waitForGateway(room);
      let events = 0;
      session.on('muteRequested', () => {
        events += 1;
      });
      const mallory = await intruder(room);
      const mute = xml('mute', { xmlns: 'http://jitsi.org/jitmeet/audio' }, 'true');
      const reply = await mallory.request(xml('iq', { type: 'set', to: gw.occupantJid }, mute));
      expect(errorCondition(reply)).toBe('forbidden');
      expect(events).toBe(0);
      expect(session.audioMuted).toBe(false);
    });

    it('reports a kick with its reason', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      const gw = await focus.waitForGateway(room);
      const kicked = session.waitFor('kicked', 3000);
      await focus.kick(room, gw.nick, 'bye caller');
      const [info] = await kicked;
      expect(info.reason).toBe('bye caller');
      expect(info.statusCodes).toContain('307');
      expect(session.joined).toBe(false);
    });

    it('reports the destruction of the room', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      let kicks = 0;
      session.on('kicked', () => {
        kicks += 1;
      });
      const destroyed = session.waitFor('roomDestroyed', 3000);
      await focus.destroyRoom(room, 'meeting over');
      expect((await destroyed)[0].reason).toBe('meeting over');
      expect(kicks).toBe(0);
      expect(session.joined).toBe(false);
    });

    it('counts the other occupants as they come and go', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      expect(session.occupantCount).toBe(1); // the focus
      const joined = session.waitFor('occupantsChanged', 3000);
      const mallory = await intruder(room, 'browser1');
      const [change] = await joined;
      expect(change.count).toBe(2);
      expect(change.joined?.nick).toBe('browser1');
      expect(session.occupantCount).toBe(2);
      const left = session.waitFor('occupantsChanged', 3000);
      await mallory.leaveRoom(room, 'browser1');
      expect((await left)[0]).toMatchObject({ count: 1, left: { nick: 'browser1' } });
      expect(session.occupantCount).toBe(1);
    });
  });

  describe('close', () => {
    it('leaves the room with the reason, is idempotent and leaves no timers behind', async () => {
      const room = sessions.newRoom();
      await focus.hostRoom(room);
      const baseline = timeoutCount();
      const session = sessions.create(room);
      expect((await session.start()).kind).toBe('joined');
      const gw = await focus.waitForGateway(room);
      // An IQ still unanswered at close: its timeout must go with the session.
      focus.conferenceReply = 'silent';
      session.sendIqNoWait(
        xml('iq', { type: 'set', to: focus.jid }, xml('conference', { xmlns: 'http://jitsi.org/protocol/focus', room })),
      );
      await focus.waitFor((s) => s.is('iq') && s.getChild('conference') !== undefined && String(s.attrs['from']).endsWith(session.resource));
      await Promise.all([session.close('Call ended'), session.close()]);
      const gone = await focus.waitFor(
        (s) => s.is('presence') && s.attrs['from'] === gw.occupantJid && s.attrs['type'] === 'unavailable',
        3000,
      );
      expect(gone.getChildText('status')).toBe('Call ended');
      expect(session.joined).toBe(false);
      expect(timeoutCount()).toBeLessThanOrEqual(baseline);
      await expect(session.sendIq(xml('iq', { type: 'get' }))).rejects.toThrow(/closed/);
    });

    it('close() during the join makes start() give up', async () => {
      const room = sessions.newRoom();
      focus.conferenceReply = 'silent';
      const session = sessions.create(room, { focusTimeoutMs: 5000 });
      const gaveUp = expect(session.start()).rejects.toThrow(/closed/);
      await new Promise((r) => setTimeout(r, 200));
      await session.close();
      await gaveUp;
    });

    it('reports a lost connection', async () => {
      const room = sessions.newRoom();
      const session = await joinedSession(room);
      const lost = session.waitFor('disconnected', 3000);
      await prosody.restart();
      await lost;
      expect(session.joined).toBe(false);
      // The restart took the focus down too: later tests get a fresh one.
      await sessions.closeAll();
      await focus.close();
      focus = await FakeFocus.start(prosody);
      sessions = new SessionFactory(prosody, focus);
    });
  });
});
