import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ToWorker } from '../../src/media/worker/protocol.js';
import { NS } from '../../src/xmpp/jingle/namespaces.js';
import { detectTones } from '../support/audio.js';
import { FakeConference, type FakeBridgeEndpoint } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness, type PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

interface Party {
  room: string;
  conf: FakeConference;
  phone: RtpPhone;
  call: PhoneCall;
  endpoint: FakeBridgeEndpoint;
  phoneTone: number;
  webTone: number;
}

/**
 * Media in two worker threads (MEDIA_WORKERS=2): rooms spread over the workers, each call's audio
 * both ways, and a worker that dies taking exactly its own calls with it.
 */
describe.skipIf(!available)('media worker threads', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await GatewayHarness.start({ MEDIA_WORKERS: '2' });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  function pool(): NonNullable<typeof h.gateway.workers> {
    const p = h.gateway.workers;
    if (p === undefined) throw new Error('the gateway runs no media workers');
    return p;
  }

  async function party(phoneTone: number, webTone: number): Promise<Party> {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: webTone }] });
    const phone = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => conf.close(), () => phone.close());
    const { call, endpoint } = await h.connectedCall(phone, room, conf, `Tone ${phoneTone}`);
    conf.start();
    phone.startTone(phoneTone);
    return { room, conf, phone, call, endpoint, phoneTone, webTone };
  }

  /** Both directions of `p` carry their tones, over the last second. */
  async function expectTwoWayAudio(p: Party): Promise<void> {
    const atBridge = p.endpoint.gateway()?.packets ?? 0;
    const atPhone = p.phone.received.length;
    await until(() => (p.endpoint.gateway()?.packets ?? 0) > atBridge + 50 && p.phone.received.length > atPhone + 50, 5000, `audio both ways in ${p.room}`);
    expect(p.endpoint.gateway()?.tones([p.phoneTone, 440], atBridge + 5)).toEqual([p.phoneTone]);
    expect(detectTones(p.phone.audio(atPhone + 5), 8000, [p.webTone, 2500])).toEqual([p.webTone]);
  }

  it('puts two rooms in two workers, each call carrying audio both ways', async () => {
    const a = await party(1700, 600);
    const b = await party(1100, 900);
    expect(pool().status().map((w) => w.placedCalls)).toEqual([1, 1]);
    await expectTwoWayAudio(a);
    await expectTwoWayAudio(b);
    // A second caller of room A joins A's worker, however loaded it is.
    const phone = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => phone.close());
    const { call } = await h.connectedCall(phone, a.room, a.conf, 'Second in A');
    expect(pool().status().map((w) => w.placedCalls)).toEqual([2, 1]);
    expect(await call.bye()).toBe(200);
    expect(await a.call.bye()).toBe(200);
    expect(await b.call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'calls closed');
    await until(() => pool().status().every((w) => w.placedCalls === 0), 5000, 'workers empty');
  });

  it('ends exactly the calls of a worker that dies, keeps the others talking, and replaces it', async () => {
    const a = await party(1700, 600);
    const b = await party(1100, 900);
    const [w0] = pool().workers;
    if (w0 === undefined) throw new Error('no worker 0');
    expect(pool().status().map((w) => w.placedCalls)).toEqual([1, 1]);
    const occupantA = a.call.occupant;

    // The thread ends abruptly with its calls live, as on an uncaught exception. Not terminate()
    // from outside: that may cut it off inside a libopus call, which aborts the whole process.
    const gone = new Promise((resolve) => w0.thread.once('exit', resolve));
    w0.thread.postMessage({ t: 'exit', code: 1 } satisfies ToWorker);
    await gone;
    // Call A's phone gets BYE, and the focus a session-terminate from A's occupant.
    const bye = await h.acceptBye(5000);
    expect(bye.message.callId).toBe(a.call.ok?.callId);
    await h.focus.waitFor(
      (s) => s.attrs['from'] === occupantA && s.getChild('jingle', NS.jingle)?.attrs['action'] === 'session-terminate',
      5000,
    );
    await h.focus.waitFor((s) => s.attrs['from'] === occupantA && s.attrs['type'] === 'unavailable', 5000);
    // Call B, in the other worker, is still up and talking.
    await until(() => h.gateway.registry.size === 1, 3000, 'call A gone');
    expect(h.gateway.registry.all()[0]?.roomJid).toBe(b.room);
    await expectTwoWayAudio(b);

    await until(() => pool().status()[0]?.serving === true, 10_000, 'the replacement worker');
    const metrics = await (await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/metrics`)).text();
    expect(metrics).toMatch(/jitsi_sip_gateway_media_worker_restarts_total 1\b/);
    expect(metrics).toMatch(/jitsi_sip_gateway_media_worker_calls\{worker="1"\} 1\b/);
    const stats = (await (await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/about/stats`)).json()) as {
      media_workers: { restarts: number; last_death: { worker: number; reason: string } | null };
    };
    expect(stats.media_workers.restarts).toBe(1);
    expect(stats.media_workers.last_death?.worker).toBe(0);

    // The replacement takes the next new room (it has the fewest calls) and carries it.
    const c = await party(1300, 700);
    expect(pool().status().map((w) => w.placedCalls)).toEqual([1, 1]);
    await expectTwoWayAudio(c);
    expect(await b.call.bye()).toBe(200);
    expect(await c.call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'calls closed');
  }, 60_000);
});
