/**
 * SDES-SRTP on dial-out through the whole gateway (drachtio double, real Prosody, media workers):
 * with CALLER_SRTP=required the INVITE offers RTP/SAVP with keys and the callee's SRTP carries the
 * audio both ways; with `optional` the offer is RTP/AVP with keys (best effort), so a callee that
 * answers plain RTP still talks and one that answers with a key gets SRTP. The callee is an RTP
 * phone that encrypts and authenticates with our own SRTP code; libsrtp interop is shown by the
 * baresip end-to-end test.
 */
import sdpTransform from 'sdp-transform';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { usableKeys } from '../../src/media/caller/sdes.js';
import { detectTones } from '../support/audio.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { buildSessionInitiate } from '../support/fake-focus.js';
import { prosodyAvailable } from '../support/prosody.js';
import { dialledOccupant, rayoDial, rayoHangup } from '../support/rayo.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: dial-out SRTP end-to-end: prosody not available');

const WEB_TONE = 700;
const CALLEE_TONE = 1500;

describe.skipIf(!available)('SDES-SRTP on dial-out', () => {
  const harnesses: GatewayHarness[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  let sid = 0;

  beforeAll(async () => {
    harnesses.push(await GatewayHarness.startDialOut({ CALLER_SRTP: 'required' }), await GatewayHarness.startDialOut({ CALLER_SRTP: 'optional' }));
  }, 60_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    for (const h of harnesses) await h.close();
  });

  /**
   * The meeting dials a number; the callee answers as `answer` decides (with SRTP or not) and the
   * tones are checked both ways. Returns the gateway's offer and the callee.
   */
  async function dialOut(h: GatewayHarness, encrypted: boolean): Promise<{ offer: string; callee: RtpPhone }> {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: WEB_TONE }] });
    const callee = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => conf.close(), () => callee.close());
    const endpoint = await conf.addEndpoint();
    const reply = await h.focus.request(rayoDial(h.gateway.brewery.occupantJid, '+15550001234', room));
    expect(reply.attrs['type']).toBe('result');
    const occupant = dialledOccupant(reply);
    const inv = await h.drachtio.waitForRequest('INVITE');
    const t = endpoint.bridge.transport;
    await h.focus.sendJingle(
      occupant,
      buildSessionInitiate({
        sid: `srtp-dial-${++sid}`,
        initiator: h.focus.jid,
        transport: { ufrag: t.ufrag, pwd: t.pwd, candidates: t.candidates.map((c) => ({ ...c, protocol: 'udp' as const })), fingerprint: t.fingerprint },
        sources: conf.sources(),
      }),
    );
    await endpoint.bridge.connected;

    const offer = inv.message.body;
    const media = sdpTransform.parse(offer).media[0]!;
    let body = callee.offer();
    if (encrypted) {
      const key = usableKeys(media.crypto)[0]!;
      callee.useSdes(key.suite, key.keySalt);
      body = callee.offer({ sdes: { tag: key.tag, suite: key.suite } });
    }
    h.drachtio.respond(inv, 200, { body });
    callee.sendTo('127.0.0.1', media.port);
    await h.drachtio.waitForRequest('ACK');

    conf.start();
    callee.startTone(CALLEE_TONE);
    const mark = callee.received.length;
    await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 10_000, 'callee audio at the bridge');
    await callee.waitForPackets(mark + 20 + 50, 10_000);
    expect(endpoint.gateway()?.tones([CALLEE_TONE, 440], 10)).toEqual([CALLEE_TONE]);
    expect(detectTones(callee.audio(mark + 20), 8000, [WEB_TONE, 2500])).toEqual([WEB_TONE]);
    expect(callee.srtpRejected).toBe(0);
    // The snapshot's media figures come from the media worker a few times a second: wait until
    // they count the callee's packets, then read which protection the phone leg has.
    const snapshot = () => h.gateway.registry.all()[0]!.snapshot();
    await until(() => snapshot().quality.phone.packetsReceived > 0, 5000, `media figures in the call's snapshot: ${JSON.stringify(snapshot())}`);
    if (encrypted) expect(snapshot().phoneSrtp).toMatch(/^AES_CM_128_HMAC_SHA1_(80|32)$/);
    else expect(snapshot().phoneSrtp).toBeNull();

    const hung = await h.focus.request(rayoHangup(occupant));
    expect(hung.attrs['type']).toBe('result');
    h.drachtio.respond(await h.drachtio.waitForRequest('BYE'), 200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    return { offer, callee };
  }

  it('CALLER_SRTP=required: offers RTP/SAVP with both AES-CM suites, and the callee is heard and hears over SRTP', async () => {
    const { offer } = await dialOut(harnesses[0]!, true);
    expect(offer).toMatch(/^m=audio \d+ RTP\/SAVP /m);
    const suites = usableKeys(sdpTransform.parse(offer).media[0]!.crypto).map((k) => k.suite);
    expect(suites).toEqual(expect.arrayContaining(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']));
  });

  it('CALLER_SRTP=optional: offers keys on RTP/AVP; a callee answering with a key gets SRTP, one answering plain RTP gets RTP', async () => {
    const { offer } = await dialOut(harnesses[1]!, true);
    expect(offer).toMatch(/^m=audio \d+ RTP\/AVP /m);
    expect(usableKeys(sdpTransform.parse(offer).media[0]!.crypto).length).toBeGreaterThan(0);
    await dialOut(harnesses[1]!, false);
  });
});
