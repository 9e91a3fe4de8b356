import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { detectTones } from '../support/audio.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const WEB_TONES = [600, 900, 1300];
const PHONE_TONE = 1700;

describe.skipIf(!available)('a phone call through the whole gateway', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.start();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function conference(speakers = WEB_TONES): Promise<FakeConference> {
    const conf = new FakeConference({ speakers: speakers.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    cleanups.push(() => conf.close());
    return conf;
  }
  async function phone(codec: 'PCMU' | 'PCMA' | 'G722' = 'PCMU'): Promise<RtpPhone> {
    const p = await RtpPhone.create({ codec });
    cleanups.push(() => p.close());
    return p;
  }

  it('puts the caller in the room, answers, and carries audio both ways; BYE ends everything', async () => {
    const room = await h.newRoom();
    const conf = await conference();
    const endpoint = await conf.addEndpoint();
    const ph = await phone('PCMU');
    const call = await h.dial(ph, room, 'Alice Phone');

    const gw = await h.focus.waitForGateway(room);
    expect(gw.presence.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Alice Phone');
    await h.offerConference(call, conf, endpoint);
    await endpoint.bridge.connected;
    const answer = await call.answered();
    expect(answer).toMatch(/a=rtpmap:0 PCMU\/8000/);
    await h.focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.getChildText('status') === 'Connected');

    conf.start();
    ph.startTone(PHONE_TONE);
    const phoneFrom = ph.received.length;
    await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 5000, 'gateway audio at the bridge');
    await ph.waitForPackets(phoneFrom + 25 + 50, 10_000);

    // The meeting hears the phone...
    const atBridge = endpoint.gateway();
    expect(atBridge?.tones([PHONE_TONE, 440], 10)).toEqual([PHONE_TONE]);
    // ...and the phone hears every web speaker, mixed.
    // Half a second in (25 packets), past the jitter buffers' start.
    const heard = detectTones(ph.audio(phoneFrom + 25), 8000, [...WEB_TONES, 2500]);
    expect(heard).toEqual(WEB_TONES);

    const stats = (await (await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/about/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ conferences: 1, calls: 1 });

    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    await h.focus.waitFor((s) => s.attrs['from'] === gw.occupantJid && s.attrs['type'] === 'unavailable');
    expect(h.gateway.media.activeCalls).toBe(0);
    const received = await h.gateway.metrics.mediaPacketsReceivedTotal.get();
    const fromPhone = received.values.find((v) => v.labels['side'] === 'caller')?.value ?? 0;
    expect(fromPhone).toBeGreaterThan(50);
  });

  it('stops sending the caller to the meeting when a moderator mutes them', async () => {
    const room = await h.newRoom();
    const conf = await conference();
    const endpoint = await conf.addEndpoint();
    const ph = await phone();
    const call = await h.dial(ph, room);
    const occupant = await h.offerConference(call, conf, endpoint);
    await call.answered();
    conf.start();
    ph.startTone(PHONE_TONE);
    await until(() => (endpoint.gateway()?.packets ?? 0) > 50, 5000, 'caller audio');
    expect(endpoint.gateway()?.tones([PHONE_TONE], 10)).toEqual([PHONE_TONE]);

    const reply = await h.focus.sendMute(occupant, true, `${room}/moderator`);
    expect(reply.attrs['type']).toBe('result');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('audiomuted') === 'true');
    await new Promise((r) => setTimeout(r, 200));
    const mutedFrom = endpoint.gateway()?.packets ?? 0;
    // Still a stream (a silence frame at level 127 every 400 ms, as Opus DTX sends), but no voice in it.
    await until(() => (endpoint.gateway()?.packets ?? 0) - mutedFrom >= 2, 10_000, 'silence frames while muted');
    expect(endpoint.gateway()?.tones([PHONE_TONE], mutedFrom)).toEqual([]);
    expect(await call.bye()).toBe(200);
  });

  it('plays the lobby prompt to the caller and joins when a moderator admits them', async () => {
    const room = `lobbyroom${process.pid}@${h.prosody.mucDomain}`;
    const [node, host] = room.split('@');
    await h.focus.hostRoom(room, { membersOnly: true });
    await h.focus.hostRoom(`${node}-lobby@${host}`);
    const conf = await conference();
    const endpoint = await conf.addEndpoint();
    const ph = await phone();
    const call = await h.dial(ph, room, 'Lobby Caller');
    // Answered at once, to hear the waiting prompt.
    await call.answered();
    const inLobby = await h.focus.waitForGateway(`${node}-lobby@${host}`);
    await until(() => ph.received.length > 50, 5000, 'lobby prompt');
    let peak = 0;
    for (const x of ph.audio()) peak = Math.max(peak, Math.abs(x));
    expect(peak).toBeGreaterThan(2000);

    await h.focus.invite(room, String(inLobby.realJid));
    await h.offerConference(call, conf, endpoint);
    await endpoint.bridge.connected;
    conf.start();
    const mark = ph.received.length;
    await ph.waitForPackets(mark + 25 + 50, 10_000);
    expect(detectTones(ph.audio(mark + 25), 8000, WEB_TONES)).toEqual(WEB_TONES);
    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('tells the caller and hangs up when the lobby denies them', async () => {
    const room = `deniedroom${process.pid}@${h.prosody.mucDomain}`;
    const [node, host] = room.split('@');
    await h.focus.hostRoom(room, { membersOnly: true });
    await h.focus.hostRoom(`${node}-lobby@${host}`);
    const ph = await phone();
    const call = await h.dial(ph, room, 'Denied Caller');
    await call.answered();
    const inLobby = await h.focus.waitForGateway(`${node}-lobby@${host}`);
    await h.focus.kick(`${node}-lobby@${host}`, inLobby.nick, 'not today');
    const bye = await h.drachtio.waitForRequest('BYE', 15_000);
    h.drachtio.respond(bye, 200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('hangs up with BYE when the meeting kicks the caller', async () => {
    const room = await h.newRoom();
    const conf = await conference();
    const endpoint = await conf.addEndpoint();
    const ph = await phone();
    const call = await h.dial(ph, room);
    await h.offerConference(call, conf, endpoint);
    await call.answered();
    const gw = await h.focus.waitForGateway(room);
    await h.focus.kick(room, gw.nick);
    const bye = await h.drachtio.waitForRequest('BYE');
    expect(bye.message.get('call-id')).toBe(call.ok?.get('call-id'));
    h.drachtio.respond(bye, 200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('turns away a still-ringing call when the meeting kicks it', async () => {
    const room = await h.newRoom();
    const ph = await phone();
    const call = await h.dial(ph, room);
    const gw = await h.focus.waitForGateway(room);
    await h.focus.kick(room, gw.nick);
    const final = await call.req.waitForResponse(603);
    expect(final.status).toBe(603);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });
});

describe.skipIf(!available)('the gateway under failures and load', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.start({
      JIGASI_JVB_TIMEOUT: '1500',
      BRIDGE_MEDIA_TIMEOUT: '1000',
      CALLER_RTP_TIMEOUT: '1000',
      CALLER_RTP_TIMEOUT_HANGUP: 'true',
    });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** How many inbound calls ended with this termination class, from the Prometheus counter. */
  async function endedAs(result: string): Promise<number> {
    const m = await h.gateway.metrics.callsTotal.get();
    return m.values.find((v) => v.labels['direction'] === 'in' && v.labels['result'] === result)?.value ?? 0;
  }

  async function setup(speakers = WEB_TONES): Promise<{ conf: FakeConference; ph: RtpPhone }> {
    const conf = new FakeConference({ speakers: speakers.map((freqHz) => ({ freqHz })) });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => conf.close(), () => ph.close());
    return { conf, ph };
  }

  it('hangs up with 480 when the meeting never offers media', async () => {
    const room = await h.newRoom();
    const { ph } = await setup();
    const call = await h.dial(ph, room);
    expect((await call.req.waitForResponse(480, 5000)).status).toBe(480);
    await until(() => h.gateway.registry.size === 0, 3000, 'call closed');
  });

  it('hangs up when the bridge stops sending media', async () => {
    const room = await h.newRoom();
    const { conf, ph } = await setup();
    await h.connectedCall(ph, room, conf);
    ph.startTone(PHONE_TONE);
    conf.start();
    await new Promise((r) => setTimeout(r, 500));
    conf.stop();
    await h.acceptBye();
    await until(() => h.gateway.registry.size === 0, 3000, 'call closed');
    expect(await endedAs('upstream_error')).toBe(1);
  });

  it('hangs up when the caller stops sending RTP, when configured to', async () => {
    const room = await h.newRoom();
    const { conf, ph } = await setup();
    await h.connectedCall(ph, room, conf);
    conf.start();
    ph.startTone(PHONE_TONE);
    await new Promise((r) => setTimeout(r, 400));
    ph.stopAudio();
    await h.acceptBye(5000);
    await until(() => h.gateway.registry.size === 0, 3000, 'call closed');
    expect(await endedAs('timeout')).toBeGreaterThanOrEqual(2);
  });
});
