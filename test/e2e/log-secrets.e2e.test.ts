/**
 * No secret reaches the log, at any level: the gateway runs representative flows at level trace
 * into a captured stream (startup, registration with digest auth, a caller into a
 * password-protected room, a caller typing a PIN, an SRTP call and its keys), then the
 * captured lines are searched for every configured secret.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactedConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { callerDialog, digestChallenge } from '../support/drachtio-double/index.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { GatewayHarness, PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

// GatewayHarness's own XMPP password and drachtio secret, plus distinctive values for the rest.
const SECRETS = {
  xmppPassword: 'jigasi-pw',
  drachtioSecret: 'e2e-secret',
  sipPassword: 'sip-Pa55-word-71',
  inboundPassword: 'inbound-Pa55-72',
  freeswitchSecret: 'fs-Pa55-73',
  roomPassword: 'room-Pa55-74',
  pin: '8675309',
  srtpKey: 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
};

describe.skipIf(!available)('secrets in the log', () => {
  const lines: string[] = [];
  let h: GatewayHarness;
  let mapper: Server;
  const lookups: string[] = [];
  let pinRoom = '';
  /** The SRTP keys the gateway wrote in its answers: secrets too. */
  const gatewayKeys: string[] = [];

  beforeAll(async () => {
    mapper = createServer((req, res) => {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
      lookups.push(id);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: Number(id), conference: id === SECRETS.pin ? pinRoom : false }));
    });
    await new Promise<void>((r) => mapper.listen(0, '127.0.0.1', r));
    const logger = createLogger({ level: 'trace', destination: { write: (s: string) => void lines.push(s) } });
    h = await GatewayHarness.start(
      {
        CONFERENCE_MAPPER_URL: `http://127.0.0.1:${(mapper.address() as AddressInfo).port}/conferenceMapper`,
        JIGASI_SIP_SERVER: '127.0.0.1',
        // Not the double's own SIP port: srf refuses to send a request to itself.
        JIGASI_SIP_PORT: '5099',
        JIGASI_SIP_URI: 'sip:gw@127.0.0.1',
        JIGASI_SIP_PASSWORD: SECRETS.sipPassword,
        SIP_TRUSTED_NETWORKS: '127.0.0.1/32',
        SIP_INBOUND_USERS: `alice:${SECRETS.inboundPassword}`,
        FREESWITCH_SECRET: SECRETS.freeswitchSecret,
      },
      { logger },
    );
    // What main.ts logs at startup.
    logger.info({ config: redactedConfig(h.config) }, 'starting jitsi-sip-gateway');
    pinRoom = await h.newRoom();
  });
  afterAll(async () => {
    const closing = h?.close();
    // The un-REGISTER on the way out.
    const unregister = await h?.drachtio.waitForRequest('REGISTER', 5000).catch(() => undefined);
    if (unregister !== undefined) h.drachtio.respond(unregister, 200);
    await closing;
    await new Promise<void>((r) => mapper.close(() => r()));
  });

  it('registers with digest auth', async () => {
    const first = await h.drachtio.waitForRequest('REGISTER');
    h.drachtio.respond(first, 401, { headers: { 'WWW-Authenticate': digestChallenge({ realm: 'pbx.test', nonce: 'n0nce', qop: 'auth' }) } });
    const second = await h.drachtio.waitForRequest('REGISTER');
    expect(second.message.get('authorization')).toContain('Digest');
    h.drachtio.respond(second, 200, { headers: { Contact: '<sip:gw@127.0.0.1:5060>;expires=600' } });
    await until(() => h.gateway.sip.registrar?.state === 'registered', 5000, 'registered');
  });

  it('puts a caller into a password-protected room with the password from the INVITE', async () => {
    const room = await h.newRoom();
    await h.focus.configureRoom(room, { password: SECRETS.roomPassword });
    const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const invite = sip.invite({
        from: `"Pass Caller" <sip:+1555${ph.port}@127.0.0.1>`,
        to: '<sip:4000@127.0.0.1>',
        headers: { 'X-Room-Name': room, 'Jitsi-Conference-Room-Pass': SECRETS.roomPassword },
        sdp: ph.offer(),
      });
      const req = h.drachtio.injectRequest(invite, { source: { address: '127.0.0.1', port: 5070 } });
      await req.waitForResponse(180);
      const call = new PhoneCall(h, ph, invite, req, room, 'Pass Caller');
      const endpoint = await conf.addEndpoint();
      await h.offerConference(call, conf, endpoint);
      await call.answered();
      await endpoint.bridge.connected;
      conf.start();
      ph.startTone(1700);
      await until(() => (endpoint.gateway()?.packets ?? 0) > 25, 5000, 'caller audio at the bridge');
      // An IVR's JSON INFO, of a shape the gateway does not know, carrying the password again.
      if (call.ok === undefined) throw new Error('not answered');
      const info = callerDialog(invite, call.ok).info({ contentType: 'application/json', body: JSON.stringify({ request: 'access', pwd: SECRETS.roomPassword }) });
      expect((await h.drachtio.injectRequest(info).waitForResponse()).status).toBe(200);
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
      await conf.close();
    }
  });

  it('takes a PIN typed by the caller', async () => {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const call = await h.dial(ph, undefined, 'Pin Caller');
      await call.answered();
      await until(() => ph.received.length > 40, 5000, 'the PIN prompt');
      await ph.sendDigits(`${SECRETS.pin}#`);
      await until(() => lookups.includes(SECRETS.pin), 5000, 'the PIN looked up');
      call.room = pinRoom;
      await h.occupantOf(call);
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
    }
  });

  /** An SDES offer (PCMU) from `ph`'s port with the caller's key; `proto` RTP/SAVP unless said. */
  function srtpOffer(ph: RtpPhone, cryptoLine: string): string {
    return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${ph.port} RTP/SAVP 0`, 'a=rtpmap:0 PCMU/8000', cryptoLine, ''].join('\r\n');
  }

  it("answers an SDES-SRTP call without logging the caller's key or its own", async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const invite = sip.invite({
        from: `"Srtp Caller" <sip:srtp@127.0.0.1>`,
        to: '<sip:4000@127.0.0.1>',
        headers: { 'X-Room-Name': room },
        sdp: srtpOffer(ph, `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${SECRETS.srtpKey}`),
      });
      const req = h.drachtio.injectRequest(invite, { source: { address: '127.0.0.1', port: 5070 } });
      await req.waitForResponse(180);
      const call = new PhoneCall(h, ph, invite, req, room, 'Srtp Caller');
      const endpoint = await conf.addEndpoint();
      await h.offerConference(call, conf, endpoint);
      const answer = await call.answered();
      const ours = /^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(\S+)\r?$/m.exec(answer)?.[1];
      expect(ours, answer).toBeDefined();
      gatewayKeys.push(ours!);
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
      await conf.close();
    }
  });

  it('refuses an SDES-SRTP offer it cannot use (an MKI) without logging its key', async () => {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const sdp = srtpOffer(ph, `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${SECRETS.srtpKey}|2^20|1:4`);
      const req = h.drachtio.injectRequest(sip.invite({ from: '<sip:srtp@127.0.0.1>', to: '<sip:4000@127.0.0.1>', headers: { 'X-Room-Name': pinRoom }, sdp }));
      expect((await req.waitForResponse()).status).toBe(488);
    } finally {
      await ph.close();
    }
  });

  it('logged all of that at trace without any secret', () => {
    const log = lines.join('');
    if (process.env.X_DUMP) console.log(log);
    // The flows did log (so the search below is not over an empty log).
    expect(lines.length).toBeGreaterThan(50);
    expect(log).toContain('"level":20');
    for (const msg of ['registration state', 'room join', 'PIN accepted', 'INVITE rejected']) expect(log).toContain(msg);
    expect(gatewayKeys).toHaveLength(1);
    for (const [name, value] of [...Object.entries(SECRETS), ...gatewayKeys.map((k) => ['gateway SRTP key', k] as const)]) {
      const at = log.indexOf(value);
      expect(at, `${name} in the log: ${log.slice(Math.max(0, at - 300), at + 100)}`).toBe(-1);
    }
  });
});
