import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InboundCall } from '../../../src/call/inbound-call.js';
import type { CallDeps } from '../../../src/call/call-deps.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { InboundRoute } from '../../../src/sip/sip-leg.js';
import { xml, type Element } from '../../../src/xmpp/connection.js';
import { buildSessionInitiate, buildSessionTerminate, FakeFocus, loopbackTransport } from '../../support/fake-focus.js';
import { startConferenceProsody } from '../../support/fake-focus/session-fixture.js';
import { FakeCallMedia, FakeLeg, FakeMediaEngine, fakeMeta, testCallDeps } from '../../support/call-fakes.js';
import { prosodyAvailable, type ProsodyHarness } from '../../support/prosody.js';
import { until } from '../../support/until.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const NS_JINGLE = 'urn:xmpp:jingle:1';


describe.skipIf(!available)('an inbound call with a real Prosody and the fake focus', () => {
  let prosody: ProsodyHarness;
  let focus: FakeFocus;
  let registry: CallRegistry;
  let engine: FakeMediaEngine;
  const calls: InboundCall[] = [];
  let n = 0;

  beforeAll(async () => {
    prosody = await startConferenceProsody();
    focus = await FakeFocus.start(prosody);
  });
  afterEach(async () => {
    await Promise.all(calls.splice(0).map((c) => c.close({ cls: 'normal', cause: 'test-end' })));
  });
  afterAll(async () => {
    await focus?.close();
    await prosody?.dispose();
  });

  function deps(over: Partial<CallDeps> = {}): CallDeps {
    registry = new CallRegistry(10);
    engine = new FakeMediaEngine();
    return testCallDeps(prosody, focus.jid, { registry, media: engine }, over);
  }

  async function newRoom(config?: Parameters<FakeFocus['hostRoom']>[1]): Promise<string> {
    const room = `call${++n}-${process.pid}@${prosody.mucDomain}`;
    await focus.hostRoom(room, config);
    return room;
  }

  function start(d: CallDeps, route: InboundRoute, leg = new FakeLeg()): { call: InboundCall; leg: FakeLeg; done: Promise<void> } {
    const call = new InboundCall(leg, route, fakeMeta(), d);
    calls.push(call);
    return { call, leg, done: call.run() };
  }

  /** A call routed to `room` by its header, as most tests here need. */
  function startInRoom(room: string, d: CallDeps = deps(), leg?: FakeLeg): ReturnType<typeof start> {
    return start(d, { kind: 'room', target: { roomJid: room, password: undefined, source: 'header' } }, leg);
  }

  /** A members-only room with its lobby room, as Jitsi's lobby makes them. */
  async function roomWithLobby(): Promise<{ room: string; lobby: string }> {
    const room = await newRoom({ membersOnly: true });
    const [node, host] = room.split('@');
    const lobby = `${node}-lobby@${host}`;
    await focus.hostRoom(lobby);
    return { room, lobby };
  }

  async function initiate(occupant: string, sid: string): Promise<Element> {
    return focus.sendJingle(occupant, buildSessionInitiate({ sid, initiator: focus.jid, transport: loopbackTransport(), sources: [{ ssrc: 7, owner: 'web1' }] }));
  }

  it('joins as the caller, answers the phone when the bridge is up, shows Connected, and ends cleanly on BYE', async () => {
    const room = await newRoom();
    const d = deps();
    const { call, leg } = startInRoom(room, d);
    const gw = await focus.waitForGateway(room);
    expect(gw.presence.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Alice Phone');
    expect(leg.state).toBe('ringing');
    expect(registry.stats().conferences).toBe(1);

    await initiate(gw.occupantJid, 'sid-a');
    await until(() => call.phase === 'connected', 5000, 'connected');
    expect(leg.log).toContain('200');
    const media = engine.created[0] as FakeCallMedia;
    expect(media.connectedRoom).toBe(room);
    expect(media.sources).toEqual([{ ssrc: 7, owner: 'web1' }]);
    await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('status') === 'Connected');

    leg.remoteBye();
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(call.closeReason?.cause).toBe('caller-bye');
    await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChild('jingle', NS_JINGLE)?.attrs['action'] === 'session-terminate');
    await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.attrs['type'] === 'unavailable');
    expect(media.closed).toBe(true);
    expect(registry.size).toBe(0);
    expect(registry.stats().totalCompleted).toBe(1);
  });

  it('turns a ringing call away with 603 when the meeting kicks it', async () => {
    const room = await newRoom();
    const { call, leg } = startInRoom(room);
    const gw = await focus.waitForGateway(room);
    await focus.kick(room, gw.nick, 'not wanted');
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(leg.log).toEqual(['603']);
    expect(call.closeReason?.cause).toBe('kicked');
  });

  it('hangs up with BYE when kicked after the answer', async () => {
    const room = await newRoom();
    const { call, leg } = startInRoom(room);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 'sid-k');
    await until(() => call.phase === 'connected');
    await focus.kick(room, gw.nick);
    await until(() => call.phase === 'closed');
    expect(leg.log.at(-1)).toBe('BYE:kicked');
  });

  it('gives up with 480 when no session-initiate comes', async () => {
    const room = await newRoom();
    const d = deps();
    d.timeouts.sessionInitiateMs = 300;
    const { call, leg } = startInRoom(room, d);
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(call.closeReason?.cause).toBe('no-session-initiate');
    expect(leg.log).toEqual(['480']);
  });

  it('mutes the caller when a moderator asks', async () => {
    const room = await newRoom();
    const { call } = startInRoom(room);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 'sid-m');
    await until(() => call.phase === 'connected');
    const reply = await focus.sendMute(gw.occupantJid, true, `${room}/moderator`);
    expect(reply.attrs['type']).toBe('result');
    const media = engine.created[0] as FakeCallMedia;
    await until(() => media.muted, 2000, 'muted');
    await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('audiomuted') === 'true');
  });

  it('lets the caller unmute with *6 after a moderator muted them, and mute again', async () => {
    const room = await newRoom();
    const { call, leg } = startInRoom(room);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 'sid-k');
    await until(() => call.phase === 'connected');
    await focus.sendMute(gw.occupantJid, true, `${room}/moderator`);
    const media = engine.created[0] as FakeCallMedia;
    await until(() => media.muted, 2000, 'muted');
    // RFC 4733 digits from the phone's RTP.
    media.emit('callerDtmf', '*');
    media.emit('callerDtmf', '6');
    expect(media.muted).toBe(false);
    await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('audiomuted') === 'false');
    // The same command typed as SIP INFO digits.
    leg.emit('dtmf', { digit: '*', durationMs: 100 });
    leg.emit('dtmf', { digit: '6', durationMs: 100 });
    expect(media.muted).toBe(true);
    await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('audiomuted') === 'true');
  });

  it('raises the hand instead of unmuting while audio moderation has not approved the caller', async () => {
    const room = await newRoom();
    // In a deployment the av_moderation component sends these; here the focus plays it.
    const moderatorJid = focus.jid.split('/')[0] ?? focus.jid;
    const d = deps();
    d.conference = { ...d.conference, avModerationJid: moderatorJid };
    const { call } = startInRoom(room, d);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 'sid-av');
    await until(() => call.phase === 'connected');
    const tell = (body: object): Promise<void> =>
      focus.client.send(xml('message', { to: gw.realJid ?? '' }, xml('json-message', { xmlns: 'http://jitsi.org/jitmeet' }, JSON.stringify(body))));
    await tell({ type: 'av_moderation', enabled: true, mediaType: 'audio' });
    await focus.sendMute(gw.occupantJid, true, `${room}/moderator`);
    const media = engine.created[0] as FakeCallMedia;
    await until(() => media.muted, 2000, 'muted');

    media.emit('callerDtmf', '*');
    media.emit('callerDtmf', '6');
    const hand = await focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('jitsi_participant_raisedHand') !== null);
    expect(Number(hand.getChildText('jitsi_participant_raisedHand'))).toBeGreaterThan(0);
    expect(media.muted).toBe(true);

    await tell({ type: 'av_moderation', approved: true, mediaType: 'audio' });
    await new Promise((r) => setTimeout(r, 200));
    media.emit('callerDtmf', '*');
    media.emit('callerDtmf', '6');
    expect(media.muted).toBe(false);
    await focus.waitFor(
      (s) => s.attrs['from'] === gw.occupantJid && s.getChildText('audiomuted') === 'false' && s.getChildText('jitsi_participant_raisedHand') === null,
    );
  });

  it('keeps the caller through a remote session-terminate and resumes on a new session-initiate', async () => {
    const room = await newRoom();
    const { call, leg } = startInRoom(room);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 's1');
    await until(() => call.phase === 'connected');
    await focus.sendJingle(gw.occupantJid, buildSessionTerminate('s1', 'success'));
    await until(() => call.phase === 'suspended');
    const media = engine.created[0] as FakeCallMedia;
    expect(media.calls).toContain('disconnectBridge');
    expect(leg.state).toBe('answered');
    await initiate(gw.occupantJid, 's2');
    await until(() => call.phase === 'connected');
    expect(media.calls.filter((c) => c === 'connectBridge')).toHaveLength(2);
  });

  it('hangs up when the resume window passes without a new session', async () => {
    const room = await newRoom();
    const d = deps();
    d.timeouts.resumeWindowMs = 200;
    const { call, leg } = startInRoom(room, d);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 's1');
    await until(() => call.phase === 'connected');
    await focus.sendJingle(gw.occupantJid, buildSessionTerminate('s1', 'success'));
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(call.closeReason?.cause).toBe('session-not-resumed');
    expect(leg.log.at(-1)).toBe('BYE:session-not-resumed');
  });

  it('ends the call when the bridge transport fails', async () => {
    const room = await newRoom();
    const d = deps();
    const { call } = startInRoom(room, d);
    const gw = await focus.waitForGateway(room);
    await initiate(gw.occupantJid, 'sid-f');
    await until(() => call.phase === 'connected');
    (engine.created[0] as FakeCallMedia).emit('bridgeFailed', 'consent-expired');
    await until(() => call.phase === 'closed');
    expect(call.closeReason).toMatchObject({ cause: 'bridge-consent-expired', jingleReason: 'connectivity-error' });
  });

  it('answers, plays a prompt and hangs up when the room is full', async () => {
    const room = await newRoom({ maxUsers: 1 });
    const { call, leg } = startInRoom(room);
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(call.closeReason?.cause).toBe('room-full');
    expect((engine.created[0] as FakeCallMedia).calls).toContain('play:room-full');
    expect(leg.log).toEqual(['200', 'BYE:room-full']);
  });

  it('plays the password prompt and hangs up when the room needs a password the caller lacks', async () => {
    const room = await newRoom({ password: 'secret' });
    const { call } = startInRoom(room);
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(call.closeReason?.cause).toBe('wrong-password');
    expect((engine.created[0] as FakeCallMedia).calls).toContain('play:wrong-password');
  });

  it('joins a password-protected room with the password from the INVITE', async () => {
    const room = await newRoom({ password: 'secret' });
    start(deps(), { kind: 'room', target: { roomJid: room, password: 'secret', source: 'header' } });
    await focus.waitForGateway(room);
  });

  it('waits in the lobby with a prompt and joins when admitted', async () => {
    const { room, lobby } = await roomWithLobby();
    const { call, leg } = startInRoom(room);
    const inLobby = await focus.waitForGateway(lobby);
    await until(() => leg.infos.some((m) => m.kind === 'protocol' && m.t === 3), 5000, 'lobby INFO');
    expect(leg.log[0]).toBe('200');
    expect((engine.created[0] as FakeCallMedia).calls).toContain('play:lobby-wait');
    await focus.invite(room, String(inLobby.realJid));
    const gw = await focus.waitForGateway(room);
    await until(() => leg.infos.some((m) => m.kind === 'protocol' && m.t === 6), 3000, 'admitted INFO');
    await initiate(gw.occupantJid, 'sid-l');
    await until(() => call.phase === 'connected');
  });

  it('plays the denial and hangs up when the lobby turns the caller away', async () => {
    const { room, lobby } = await roomWithLobby();
    const { call, leg } = startInRoom(room);
    const inLobby = await focus.waitForGateway(lobby);
    await focus.kick(lobby, inLobby.nick, 'no');
    await until(() => call.phase === 'closed', 5000, 'closed');
    expect(call.closeReason?.cause).toBe('lobby-denied');
    expect((engine.created[0] as FakeCallMedia).calls).toContain('play:lobby-denied');
    expect(leg.infos.some((m) => m.kind === 'protocol' && m.t === 7)).toBe(true);
    expect(leg.log.at(-1)).toBe('BYE:lobby-denied');
  });

  it('uses the PIN prompt to find the room', async () => {
    const room = await newRoom();
    const d = deps({ pinLookup: { roomForPin: async (pin) => (pin === '1234' ? room : undefined) } });
    engine.next = () => {
      const m = new FakeCallMedia();
      m.digits = ['99#', '1234#'];
      return m;
    };
    const { call, leg } = start(d, { kind: 'pin' });
    await focus.waitForGateway(room);
    expect(call.roomJid).toBe(room);
    expect(leg.log[0]).toBe('200');
    expect((engine.created[0] as FakeCallMedia).calls.filter((c) => c.startsWith('collect:'))).toEqual(['collect:enter-pin', 'collect:wrong-pin']);
    // Digits sent by SIP INFO reach the same digit collector as RFC 4733 ones.
    leg.emit('dtmf', { digit: '5', durationMs: 160 });
    expect((engine.created[0] as FakeCallMedia).calls).toContain('digit:5');
  });

  it('says goodbye and hangs up after three tries without a PIN', async () => {
    const lookups: string[] = [];
    const d = deps({ pinLookup: { roomForPin: async (pin) => (lookups.push(pin), undefined) } });
    engine.next = () => {
      const m = new FakeCallMedia();
      m.digits = ['', '', ''];
      return m;
    };
    const { call, leg } = start(d, { kind: 'pin' });
    await until(() => call.phase === 'closed', 5000, 'call closed');
    const media = engine.created[0] as FakeCallMedia;
    expect(media.calls.filter((c) => c.startsWith('collect:') || c.startsWith('play:'))).toEqual([
      'collect:enter-pin',
      'collect:wrong-pin',
      'collect:wrong-pin',
      'play:goodbye',
    ]);
    expect(lookups).toEqual([]);
    expect(call.closeReason?.cause).toBe('wrong-pin');
    expect(leg.log).toEqual(['200', 'BYE:wrong-pin']);
    expect(media.closed).toBe(true);
    expect(registry.size).toBe(0);
  });

  it('stops the PIN prompt and cleans up when the caller hangs up during it', async () => {
    const lookups: string[] = [];
    const d = deps({ pinLookup: { roomForPin: async (pin) => (lookups.push(pin), undefined) } });
    let release: (digits: string) => void = () => undefined;
    class WaitingMedia extends FakeCallMedia {
      override async playAndCollect(): Promise<string> {
        this.calls.push('collect:waiting');
        return new Promise<string>((resolve) => (release = resolve));
      }
      override async close(): Promise<void> {
        // Closing the media ends a prompt in progress, as the engine and FreeSWITCH do.
        release('');
        await super.close();
      }
    }
    engine.next = () => new WaitingMedia();
    const { call, leg, done } = start(d, { kind: 'pin' });
    await until(() => (engine.created[0] as FakeCallMedia | undefined)?.calls.includes('collect:waiting') === true, 5000, 'PIN prompt');
    leg.remoteBye();
    await done;
    await until(() => call.phase === 'closed', 5000, 'call closed');
    expect(call.closeReason?.cause).toBe('caller-bye');
    expect(lookups).toEqual([]);
    expect((engine.created[0] as FakeCallMedia).closed).toBe(true);
    expect(registry.size).toBe(0);
  });

  it('cleans up when the caller cancels while the room is being joined', async () => {
    const room = await newRoom();
    const { call, leg } = startInRoom(room);
    await focus.waitForGateway(room);
    leg.remoteCancel();
    await until(() => call.phase === 'closed');
    expect(call.closeReason?.cause).toBe('caller-cancel');
    expect(registry.size).toBe(0);
    expect(leg.log).toEqual([]);
  });
});
