import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { sippAvailable } from '../support/drachtio-server.js';
import { FakeConference, type FakeBridgeEndpoint } from '../support/fake-bridge-audio.js';
import { FreeswitchServer } from '../support/freeswitch.js';
import { realStackAvailability } from '../support/real-parts.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import type { CallScenarioOptions } from '../support/sipp-scenario.js';
import { RealStackHarness, type SippCall } from './real-stack-harness.js';

/**
 * Whole calls through real SIP parts: sipp dialling a real drachtio-server (DRACHTIO_BIN), and in
 * FreeSWITCH mode a real FreeSWITCH (FREESWITCH_BIN) answering the phone. Each part missing
 * prints one skipped line.
 */
const { direct: directAvailable, freeswitch: fsAvailable } = realStackAvailability('real SIP stack tests', [[sippAvailable(), 'sipp']]);

const WEB_TONES = [600, 1300];
const PHONE_TONE = 1700;

function callSuite(mode: 'direct' | 'freeswitch'): void {
  let h: RealStackHarness;
  let fs: FreeswitchServer | undefined;
  let mapper: Server;
  let pinRoom = '';
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    mapper = createServer((req, res) => {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: Number(id), conference: id === '2468' ? pinRoom : false }));
    });
    await new Promise<void>((r) => mapper.listen(0, '127.0.0.1', r));
    if (mode === 'freeswitch') fs = await FreeswitchServer.start();
    h = await RealStackHarness.start({
      ...(fs !== undefined ? { freeswitch: fs } : {}),
      env: { CONFERENCE_MAPPER_URL: `http://127.0.0.1:${(mapper.address() as AddressInfo).port}/conferenceMapper` },
    });
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
    await fs?.stop();
    await new Promise<void>((r) => mapper?.close(() => r()));
  }, 30_000);

  async function phone(codec: 'PCMU' | 'PCMA' | 'G722' | 'opus' = 'PCMU'): Promise<RtpPhone> {
    const p = await RtpPhone.create({ codec });
    cleanups.push(() => p.close());
    return p;
  }
  function conference(speakers = WEB_TONES): FakeConference {
    const conf = new FakeConference({ speakers: speakers.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    cleanups.push(() => conf.close());
    return conf;
  }

  /** A phone in a new room, dialled by sipp, offered the conference and answered. */
  async function answeredCall(
    name: string,
    codec: 'PCMU' | 'PCMA' | 'opus',
    scenario: Omit<CallScenarioOptions, 'sdp' | 'room' | 'displayName'>,
  ): Promise<{ room: string; conf: FakeConference; endpoint: FakeBridgeEndpoint; ph: RtpPhone; call: SippCall; occupant: string }> {
    const room = await h.newRoom();
    const conf = conference();
    const endpoint = await conf.addEndpoint();
    const ph = await phone(codec);
    const call = await h.call(ph, { room, displayName: name, ...scenario });
    cleanups.push(async () => call.kill());
    const occupant = await h.offerConference(room, name, conf, endpoint);
    await endpoint.bridge.connected;
    await call.answered();
    return { room, conf, endpoint, ph, call, occupant };
  }

  /** After the right PIN: the focus offers the PIN's room, and the phone hears its 800 Hz speaker. */
  async function joinedByPin(name: string, conf: FakeConference, ph: RtpPhone, call: SippCall): Promise<void> {
    const endpoint = await conf.addEndpoint();
    await h.offerConference(pinRoom, name, conf, endpoint);
    await endpoint.bridge.connected;
    conf.start();
    const mark = ph.received.length;
    await until(() => ph.received.length > mark + 75, 8000, 'meeting audio after the PIN');
    expect(detectTones(ph.audio(mark + 25), 8000, [800, 2500])).toEqual([800]);
    expect(await call.done(), call.output.slice(-2000)).toBe(0);
  }

  /** A phone in a new room, answered, hearing the meeting's tones and heard by it; the caller hangs up. */
  async function twoWayCall(codec: 'PCMU' | 'opus', name: string): Promise<void> {
    const { conf, endpoint, ph, call } = await answeredCall(name, codec, { hangup: { by: 'caller', talkMs: 4500 } });
    conf.start();
    ph.startTone(PHONE_TONE);
    const from = ph.received.length;
    await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 8000, `phone audio at the bridge\n${h.diagnostics()}`);
    await until(() => ph.received.length > from + 75, 8000, 'meeting audio at the phone');
    expect(endpoint.gateway()?.tones([PHONE_TONE, 440], 10)).toEqual([PHONE_TONE]);
    expect(detectTones(ph.audio(from + 25), ph.sampleRate, [...WEB_TONES, 2500])).toEqual(WEB_TONES);

    expect(await call.done(), call.output.slice(-2000)).toBe(0);
    await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
    expect(h.gateway.media.activeCalls).toBe(0);
  }

  it('carries a sipp call into the room with audio both ways; the caller hangs up', () => twoWayCall('PCMU', 'Real Phone'), 60_000);

  it('carries a wideband phone (Opus) both ways', () => twoWayCall('opus', 'Opus Phone'), 60_000);

  it('takes a hold and a resume (re-INVITEs) and carries audio again after it', async () => {
    const { conf, endpoint, ph, call } = await answeredCall('Hold Phone', 'PCMU', { hold: { afterMs: 600, holdMs: 1000 }, hangup: { by: 'caller', talkMs: 3000 } });
    conf.start();
    ph.startTone(PHONE_TONE);
    // sipp checks each answer's direction (recvonly to the hold, sendrecv to the resume).
    await new Promise((r) => setTimeout(r, 2200));
    const from = ph.received.length;
    const atBridge = endpoint.gateway()?.packets ?? 0;
    await until(() => ph.received.length > from + 50, 8000, `meeting audio after the resume\n${call.output.slice(-1500)}`);
    await until(() => (endpoint.gateway()?.packets ?? 0) > atBridge + 40, 8000, 'phone audio at the bridge after the resume');
    expect(detectTones(ph.audio(from + 10), 8000, [...WEB_TONES, 2500])).toEqual(WEB_TONES);
    expect(await call.done(), call.output.slice(-2000)).toBe(0);
  }, 60_000);

  it('unmutes with *6 typed on the phone after a moderator mute', async () => {
    const { room, conf, endpoint, ph, call, occupant } = await answeredCall('Keypad Phone', 'PCMU', { hangup: { by: 'caller', talkMs: 6000 } });
    conf.start();
    ph.startTone(PHONE_TONE);
    await until(() => (endpoint.gateway()?.packets ?? 0) > 30, 8000, 'phone audio at the bridge');
    await h.focus.sendMute(occupant, true, `${room}/moderator`);
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('audiomuted') === 'true');
    await ph.sendDigits('*6');
    await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('audiomuted') === 'false', 8000);
    const mark = endpoint.gateway()?.packets ?? 0;
    await until(() => (endpoint.gateway()?.packets ?? 0) > mark + 40, 8000, 'phone audio after the unmute');
    expect(endpoint.gateway()?.tones([PHONE_TONE, 440], 10)).toContain(PHONE_TONE);
    expect(await call.done(), call.output.slice(-2000)).toBe(0);
  }, 60_000);

  it('sends BYE to the phone when a moderator kicks the caller', async () => {
    const { room, endpoint, ph, call, occupant } = await answeredCall('Kicked Phone', 'PCMA', { hangup: { by: 'gateway' } });
    ph.startTone(PHONE_TONE);
    await until(() => (endpoint.gateway()?.packets ?? 0) > 30, 8000, 'phone audio at the bridge');
    await h.focus.kick(room, occupant.slice(occupant.indexOf('/') + 1));
    expect(await call.done(), call.output.slice(-2000)).toBe(0);
    await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
  }, 60_000);

  it('asks for the PIN, takes it by RFC 4733 digits, and puts the caller in that meeting', async () => {
    pinRoom = await h.newRoom();
    const conf = conference([800]);
    const ph = await phone('PCMU');
    const call = await h.call(ph, { displayName: 'Pin Phone', hangup: { by: 'caller', talkMs: 9000 } });
    cleanups.push(async () => call.kill());
    await call.answered();
    // A phone sends RTP all along, silence included.
    ph.startTone(PHONE_TONE, 0);
    // The prompt is speech, not silence.
    await until(() => ph.received.length > 40, 8000, `the PIN prompt\n${h.diagnostics()}`);
    await new Promise((r) => setTimeout(r, 800));
    let peak = 0;
    for (const x of ph.audio()) peak = Math.max(peak, Math.abs(x));
    expect(peak).toBeGreaterThan(2000);
    await ph.sendDigits('2468#');
    await joinedByPin('Pin Phone', conf, ph, call);
  }, 60_000);

  it('takes the PIN sent as SIP INFO digits', async () => {
    pinRoom = await h.newRoom();
    const conf = conference([800]);
    const ph = await phone('PCMU');
    const call = await h.call(ph, { displayName: 'Info Phone', infoDigits: { afterMs: 1500, digits: '2468#' }, hangup: { by: 'caller', talkMs: 4000 } });
    cleanups.push(async () => call.kill());
    await call.answered();
    ph.startTone(PHONE_TONE, 0);
    await joinedByPin('Info Phone', conf, ph, call);
  }, 60_000);

  if (mode === 'direct') {
    it('sends BYE to a caller whose call drachtio-server forgot in a restart, and takes calls again', async () => {
      // A call in progress across the restart: the phone must be told, not left in silence.
      const before = await h.newRoom();
      const conf0 = conference();
      const endpoint0 = await conf0.addEndpoint();
      const ph0 = await phone('PCMU');
      const spanning = await h.call(ph0, { room: before, displayName: 'Across Restart', hangup: { by: 'gateway' } });
      cleanups.push(async () => spanning.kill());
      await h.offerConference(before, 'Across Restart', conf0, endpoint0);
      await spanning.answered();
      ph0.startTone(PHONE_TONE);
      await until(() => (endpoint0.gateway()?.packets ?? 0) > 20, 8000, 'phone audio at the bridge');

      const restartedAt = Date.now();
      await h.drachtio.restart();
      await until(() => h.gateway.drachtio.state !== 'connected', 5000, 'drachtio loss noticed');
      await until(() => h.gateway.drachtio.state === 'connected', 20_000, `reconnected to drachtio-server\n${h.diagnostics()}`);
      // sipp exits 0 only after it received the BYE (matched by Call-ID) and answered it.
      expect(await spanning.done(20_000), spanning.output.slice(-2000)).toBe(0);
      console.log(`drachtio restart: the phone got BYE ${Date.now() - restartedAt} ms after the restart began`);
      await until(() => h.gateway.registry.size === 0, 8000, 'call across the restart closed');

      const room = await h.newRoom();
      const conf = conference();
      const endpoint = await conf.addEndpoint();
      const ph = await phone('PCMU');
      const call = await h.call(ph, { room, displayName: 'After Restart', hangup: { by: 'caller', talkMs: 1500 } });
      cleanups.push(async () => call.kill());
      await h.offerConference(room, 'After Restart', conf, endpoint);
      await call.answered();
      ph.startTone(PHONE_TONE);
      await until(() => (endpoint.gateway()?.packets ?? 0) > 20, 8000, 'phone audio at the bridge');
      expect(await call.done(), call.output.slice(-2000)).toBe(0);
      await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
    }, 60_000);
  }

  if (mode === 'freeswitch') {
    it('leaves no FreeSWITCH channel and no call behind over many calls', async () => {
      const room = await h.newRoom();
      const conf = conference([600]);
      for (let i = 0; i < 12; i++) {
        const endpoint = await conf.addEndpoint();
        const ph = await RtpPhone.create({ codec: i % 2 === 0 ? 'PCMU' : 'opus' });
        try {
          const name = `Caller ${i}`;
          const call = await h.call(ph, { room, displayName: name, hangup: { by: 'caller', talkMs: 300 } });
          await h.offerConference(room, name, conf, endpoint);
          await call.answered();
          ph.startTone(PHONE_TONE);
          expect(await call.done(), call.output.slice(-1500)).toBe(0);
          await until(() => h.gateway.registry.size === 0, 8000, `call ${i} closed`);
        } finally {
          await ph.close();
        }
      }
      expect(h.gateway.media.activeCalls).toBe(0);
      // Each call had two FreeSWITCH channels (phone and engine leg); all must be gone.
      let channels = '';
      for (let tries = 0; tries < 40; tries++) {
        channels = (await fs?.api('show channels count')) ?? '';
        if (/^0 total/m.test(channels)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(channels).toMatch(/^0 total/m);
    }, 120_000);

    it('ends the call with a clear reason when FreeSWITCH goes away, shows it in health, and recovers', async () => {
      const { call } = await answeredCall('Lost Phone', 'PCMU', { hangup: { by: 'gateway' } });
      await until(() => h.gateway.registry.size === 1 && h.gateway.media.activeCalls === 1, 8000, 'call up');

      await fs?.kill();
      // The phone's media was on FreeSWITCH: the gateway hangs the phone up.
      expect(await call.done(15_000), call.output.slice(-2000)).toBe(0);
      await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
      const health = await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/about/health`);
      expect(health.status).toBe(503);
      expect(JSON.stringify(await health.json())).toMatch(/FreeSWITCH/);

      await fs?.restart();
      await until(() => h.gateway.freeswitch?.state === 'connected', 20_000, `reconnected to FreeSWITCH\n${h.diagnostics()}`);
      const again = await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/about/health`);
      expect(again.status).toBe(200);
    }, 90_000);
  }
}

describe.skipIf(!directAvailable)('real drachtio-server and sipp, MEDIA_MODE=direct', () => callSuite('direct'));
describe.skipIf(!fsAvailable)('real drachtio-server, sipp and FreeSWITCH, MEDIA_MODE=freeswitch', () => callSuite('freeswitch'));

describe.skipIf(!fsAvailable)('FreeSWITCH watching the phone RTP (CALLER_RTP_TIMEOUT_HANGUP)', () => {
  let h: RealStackHarness;
  let fs: FreeswitchServer;

  beforeAll(async () => {
    fs = await FreeswitchServer.start();
    h = await RealStackHarness.start({ freeswitch: fs, env: { CALLER_RTP_TIMEOUT: '1500', CALLER_RTP_TIMEOUT_HANGUP: 'true' } });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fs?.stop();
  }, 30_000);

  it('hangs the phone up as a timeout when its RTP stops', async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: 600 }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const endpoint = await conf.addEndpoint();
      const call = await h.call(ph, { room, displayName: 'Silent Phone', hangup: { by: 'gateway' } });
      await h.offerConference(room, 'Silent Phone', conf, endpoint);
      await call.answered();
      ph.startTone(PHONE_TONE);
      await until(() => (endpoint.gateway()?.packets ?? 0) > 25, 8000, 'phone audio at the bridge');
      const stoppedAt = Date.now();
      ph.stopAudio();
      expect(await call.done(15_000), call.output.slice(-1500)).toBe(0);
      const afterMs = Date.now() - stoppedAt;
      // FreeSWITCH's media_timeout, not the meeting or a fixed timer, ended it.
      expect(afterMs).toBeGreaterThan(1000);
      expect(afterMs).toBeLessThan(8000);
      await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
      const ended = await h.gateway.metrics.callsTotal.get();
      expect(ended.values.find((v) => v.labels['result'] === 'timeout')?.value).toBe(1);
    } finally {
      await ph.close();
      await conf.close();
    }
  }, 60_000);
});
