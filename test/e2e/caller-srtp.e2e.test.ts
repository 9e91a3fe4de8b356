/**
 * CALLER_SRTP=required and the per-call noise suppression header through the whole gateway (SIP
 * app, admission, call layer, media workers), with the drachtio double: a plain offer gets 488
 * before anything else happens; an SDES offer is answered with RTP/SAVP and the call shows its
 * suite in GET /calls; X-Noise-Suppression turns RNNoise on for its call only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { GatewayHarness, PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: caller SRTP end-to-end: prosody not available');

function sdesOffer(port: number): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/SAVP 0`,
    'a=rtpmap:0 PCMU/8000',
    `a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:${randomBytes(30).toString('base64')}`,
    '',
  ].join('\r\n');
}

describe.skipIf(!available)('CALLER_SRTP=required and X-Noise-Suppression', () => {
  let h: GatewayHarness;
  let conf: FakeConference;

  beforeAll(async () => {
    h = await GatewayHarness.start({ CALLER_SRTP: 'required' });
    conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
  }, 30_000);
  afterAll(async () => {
    await conf?.close();
    await h?.close();
  });

  it('answers a plain RTP offer 488 with a Warning, before any call starts', async () => {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const req = h.drachtio.injectRequest(sip.invite({ from: '<sip:plain@127.0.0.1>', to: '<sip:4000@127.0.0.1>', headers: { 'X-Room-Name': await h.newRoom() }, sdp: ph.offer() }));
      const res = await req.waitForResponse();
      expect(res.status).toBe(488);
      expect(res.get('warning')).toMatch(/SRTP is required/);
      expect(h.gateway.registry.stats().totalCalls).toBe(0);
    } finally {
      await ph.close();
    }
  });

  it.each([
    ['without the header: no noise suppression', {}, false],
    ['X-Noise-Suppression: on', { 'X-Noise-Suppression': 'on' }, true],
  ] as const)('answers an SDES offer with RTP/SAVP; %s', async (_name, headers, denoised) => {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const room = await h.newRoom();
      const invite = sip.invite({ from: '"Secure Caller" <sip:secure@127.0.0.1>', to: '<sip:4000@127.0.0.1>', headers: { 'X-Room-Name': room, ...headers }, sdp: sdesOffer(ph.port) });
      const req = h.drachtio.injectRequest(invite, { source: { address: '127.0.0.1', port: 5070 } });
      await req.waitForResponse(180);
      const call = new PhoneCall(h, ph, invite, req, room, 'Secure Caller');
      const endpoint = await conf.addEndpoint();
      await h.offerConference(call, conf, endpoint);
      const answer = await call.answered();
      expect(answer).toMatch(/^m=audio \d+ RTP\/SAVP 0\r?$/m);
      expect(answer).toMatch(/^a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:[A-Za-z0-9+/]{40}\r?$/m);
      // The phone speaks plain RTP: every packet fails authentication and none is played.
      ph.startTone(1000);
      const snapshot = () => h.gateway.registry.all()[0]!.snapshot();
      expect(h.gateway.registry.size).toBe(1);
      // Media counters come from the media worker a few times a second.
      await until(() => snapshot().phoneSrtp !== null, 5000, `the suite in the call's snapshot: ${JSON.stringify(snapshot())}`);
      const shot = snapshot();
      expect({ phoneSrtp: shot.phoneSrtp, noiseSuppression: shot.noiseSuppression }).toEqual({ phoneSrtp: 'AES_CM_128_HMAC_SHA1_32', noiseSuppression: denoised });
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
    }
  });
});
