import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { sippAvailable } from '../support/drachtio-server.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { FreeswitchServer } from '../support/freeswitch.js';
import { dialledOccupant, rayoDial, rayoHangup } from '../support/rayo.js';
import { realStackAvailability } from '../support/real-parts.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { joinMuc } from '../support/xmpp-client.js';
import { offerSession } from './offer-session.js';
import { RealStackHarness, SippCallee } from './real-stack-harness.js';

/**
 * Dial-out from a meeting through a real drachtio-server (DRACHTIO_BIN) to sipp acting as the
 * registrar and the callee, in both media modes (FreeSWITCH mode with FREESWITCH_BIN).
 */
const { direct: directAvailable, freeswitch: fsAvailable } = realStackAvailability('real-stack dial-out tests', [[sippAvailable(), 'sipp']]);

const WEB_TONE = 700;
const CALLEE_TONE = 1500;

function dialOutSuite(mode: 'direct' | 'freeswitch'): void {
  let h: RealStackHarness;
  let fs: FreeswitchServer | undefined;
  let callee: SippCallee;
  let phone: RtpPhone;

  beforeAll(async () => {
    phone = await RtpPhone.create({ codec: 'PCMA' });
    callee = await SippCallee.start(phone);
    if (mode === 'freeswitch') fs = await FreeswitchServer.start();
    h = await RealStackHarness.start({
      ...(fs !== undefined ? { freeswitch: fs } : {}),
      env: {
        JIGASI_SIP_SERVER: '127.0.0.1',
        JIGASI_SIP_PORT: String(callee.port),
        JIGASI_SIP_URI: 'sip:jigasi@127.0.0.1',
        JIGASI_SIP_PASSWORD: 'sip-pw',
        JIGASI_SIP_OUTBOUND_PREFIX: '9',
      },
    });
    await until(() => h.gateway.sip.registrar?.state === 'registered', 15_000, `registered with sipp\n${callee.output.slice(-1000)}`);
    await joinMuc(h.focus.client, `jigasibrewery@${h.prosody.internalMucDomain}`, 'focus');
    await until(() => h.gateway.brewery.state === 'joined', 10_000, 'brewery joined');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fs?.stop();
    await callee?.stop();
    await phone?.close();
  }, 30_000);

  it('rings the number, carries audio both ways, and hangs up with BYE on the hangup IQ', async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: WEB_TONE }] });
    try {
      const endpoint = await conf.addEndpoint();
      const reply = await h.focus.request(rayoDial(h.gateway.brewery.occupantJid, '+15550001234', room));
      expect(reply.attrs['type']).toBe('result');
      const occupant = dialledOccupant(reply);
      await offerSession(h.focus, occupant, conf, endpoint, `dial-${mode}`);
      await endpoint.bridge.connected;
      await callee.invited();
      await h.focus.waitFor((s) => s.attrs['from'] === occupant && s.getChildText('status') === 'Connected', 15_000);

      conf.start();
      phone.startTone(CALLEE_TONE);
      const mark = phone.received.length;
      await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 8000, `callee audio at the bridge\n${h.diagnostics()}`);
      await until(() => phone.received.length > mark + 75, 8000, 'meeting audio at the callee');
      expect(endpoint.gateway()?.tones([CALLEE_TONE, 440], 10)).toEqual([CALLEE_TONE]);
      expect(detectTones(phone.audio(mark + 25), 8000, [WEB_TONE, 2500])).toEqual([WEB_TONE]);

      const hung = await h.focus.request(rayoHangup(occupant));
      expect(hung.attrs['type']).toBe('result');
      await until(() => h.gateway.registry.size === 0, 8000, 'call closed');
      await callee.byeReceived();
      expect(h.gateway.media.activeCalls).toBe(0);
    } finally {
      await conf.close();
    }
  }, 60_000);
}

describe.skipIf(!directAvailable)('dial-out through a real drachtio-server to sipp, MEDIA_MODE=direct', () => dialOutSuite('direct'));
describe.skipIf(!fsAvailable)('dial-out through a real drachtio-server and FreeSWITCH to sipp, MEDIA_MODE=freeswitch', () => dialOutSuite('freeswitch'));
