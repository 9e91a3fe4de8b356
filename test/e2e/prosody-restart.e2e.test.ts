import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { reconnectLikeJicofo } from '../support/fake-focus/reconnect.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';
import { offerSession } from './offer-session.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const WEB_TONES = [600, 900, 1300];
const PHONE_TONE = 1700;
/** XMPP_RECONNECT_WINDOW for these tests, seconds: room for a Prosody restart on a busy machine. */
const WINDOW_S = 8;
const WINDOW_MS = WINDOW_S * 1000;
/** What a call's close may take after its reason fired (the close steps' own bound), plus polling. */
const CLOSE_SLACK_MS = 3000;

describe.skipIf(!available)('a Prosody restart during a call', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    h = await GatewayHarness.start({ XMPP_RECONNECT_WINDOW: String(WINDOW_S) });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function setup(): Promise<{ conf: FakeConference; ph: RtpPhone }> {
    const conf = new FakeConference({ speakers: WEB_TONES.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => conf.close(), () => ph.close());
    return { conf, ph };
  }

  function peak(pcm: Int16Array): number {
    let p = 0;
    for (const x of pcm) p = Math.max(p, Math.abs(x));
    return p;
  }

  it('keeps the phone call, plays the reconnecting prompt, rejoins with the same nick and carries audio both ways again', async () => {
    const room = await h.newRoom();
    const { conf, ph } = await setup();
    const { call, endpoint } = await h.connectedCall(ph, room, conf, 'Restart Caller');
    const occupant = call.occupant ?? '';
    conf.start();
    ph.startTone(PHONE_TONE);
    await until(() => (endpoint.gateway()?.packets ?? 0) > 50, 5000, 'phone audio at the bridge');
    const focus = reconnectLikeJicofo(h.focus, () => [room]);
    cleanups.push(() => focus.stop());
    const focusBack = focus.back();

    // The meeting goes quiet first, so whatever the phone hears while the gateway is away is ours.
    conf.stop();
    await new Promise((r) => setTimeout(r, 300));
    const awayFrom = ph.received.length;
    const stanzasBefore = h.focus.received.length;
    const dropAt = performance.now();
    await h.prosody.restart();
    const restartMs = performance.now() - dropAt;

    // The occupant comes back under the same occupant JID (same nick), with the caller's name and
    // the jigasi feature, once the focus is back (the gateway waits for its "ready").
    await focusBack;
    await until(
      () => h.focus.received.slice(stanzasBefore).some((s) => s.is('presence') && s.attrs['from'] === occupant && s.attrs['type'] === undefined),
      WINDOW_MS,
      'the gateway back in the room',
    );
    const rejoinedAt = performance.now();
    const back = h.focus.received.slice(stanzasBefore).find((s) => s.attrs['from'] === occupant && s.attrs['type'] === undefined);
    expect(back?.getChildText('nick', 'http://jabber.org/protocol/nick')).toBe('Restart Caller');
    expect(back?.getChild('features', 'jabber:client')?.getChildren('feature').some((f) => f.attrs['var'] === 'http://jitsi.org/protocol/jigasi')).toBe(true);
    expect(back?.getChildText('status')).toBe('Reconnecting');

    // Jicofo offers a new session with a new sid; the gateway takes it.
    const endpoint2 = await conf.addEndpoint();
    await offerSession(h.focus, occupant, conf, endpoint2, 'after-restart-sid');
    await endpoint2.bridge.connected;
    const mediaBackAt = performance.now();
    const awayTo = ph.received.length;
    await until(
      () => h.focus.received.slice(stanzasBefore).some((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Connected'),
      5000,
      'presence "Connected" again',
    );

    // While away the phone kept getting RTP, with the prompt in it (the meeting was silent).
    expect(awayTo - awayFrom).toBeGreaterThan(((mediaBackAt - dropAt) / 20) * 0.5);
    expect(peak(ph.audio(awayFrom).subarray(0, (awayTo - awayFrom) * 160))).toBeGreaterThan(2000);

    // Audio both ways on the new session.
    conf.start();
    const heardFrom = ph.received.length;
    await until(() => (endpoint2.gateway()?.packets ?? 0) > 60, 5000, 'phone audio at the new bridge endpoint');
    await ph.waitForPackets(heardFrom + 25 + 50, 10_000);
    expect(endpoint2.gateway()?.tones([PHONE_TONE, 440], 10)).toEqual([PHONE_TONE]);
    expect(detectTones(ph.audio(heardFrom + 25), 8000, [...WEB_TONES, 2500])).toEqual(WEB_TONES);

    // The phone never got a BYE, and the call is still the one call in the registry.
    await expect(h.drachtio.waitForRequest('BYE', 200)).rejects.toThrow();
    expect(h.gateway.registry.size).toBe(1);
    console.log(
      `prosody restart: ${restartMs.toFixed(0)} ms (stop + start); back in the room ${(rejoinedAt - dropAt).toFixed(0)} ms ` +
        `and conference media again ${(mediaBackAt - dropAt).toFixed(0)} ms after the stop began`,
    );

    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('hangs up with xmpp-reconnect-failed when Prosody stays away longer than the window', async () => {
    const room = await h.newRoom();
    const { conf, ph } = await setup();
    await h.connectedCall(ph, room, conf, 'Stranded Caller');
    conf.start();
    const stoppedAt = performance.now();
    await h.prosody.stop();
    cleanups.push(() => h.prosody.start());

    const bye = await h.drachtio.waitForRequest('BYE', WINDOW_MS + CLOSE_SLACK_MS);
    const after = performance.now() - stoppedAt;
    h.drachtio.respond(bye, 200);
    expect(after).toBeGreaterThan(WINDOW_MS - 500);
    expect(bye.message.get('reason')).toContain('xmpp-reconnect-failed');
    await until(() => h.gateway.registry.size === 0, CLOSE_SLACK_MS, 'call closed');
  });
});
