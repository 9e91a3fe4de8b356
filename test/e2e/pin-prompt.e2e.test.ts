import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

describe.skipIf(!available)('joining a meeting by PIN, without an IVR in front', () => {
  let h: GatewayHarness;
  let mapper: Server;
  const lookups: string[] = [];
  let room = '';

  beforeAll(async () => {
    mapper = createServer((req, res) => {
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id') ?? '';
      lookups.push(id);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: Number(id), conference: id === '4321' ? room : false }));
    });
    await new Promise<void>((r) => mapper.listen(0, '127.0.0.1', r));
    h = await GatewayHarness.start({ CONFERENCE_MAPPER_URL: `http://127.0.0.1:${(mapper.address() as AddressInfo).port}/conferenceMapper` });
    room = await h.newRoom();
  });
  afterAll(async () => {
    await h?.close();
    await new Promise<void>((r) => mapper.close(() => r()));
  });

  it('answers, asks for the PIN, takes a wrong one and then the right one, and puts the caller in that meeting', async () => {
    const conf = new FakeConference({ speakers: [{ freqHz: 800 }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const call = await h.dial(ph, undefined, 'Pin Caller');
      await call.answered();
      // The prompt is speech, not silence.
      await until(() => ph.received.length > 40, 5000, 'the PIN prompt');
      let peak = 0;
      for (const x of ph.audio()) peak = Math.max(peak, Math.abs(x));
      expect(peak).toBeGreaterThan(2000);

      await ph.sendDigits('99#');
      await until(() => lookups.includes('99'), 5000, 'the wrong PIN looked up');
      await new Promise((r) => setTimeout(r, 300));
      await ph.sendDigits('4321#');
      await until(() => lookups.includes('4321'), 5000, 'the right PIN looked up');

      call.room = room;
      const endpoint = await conf.addEndpoint();
      await h.offerConference(call, conf, endpoint);
      await endpoint.bridge.connected;
      conf.start();
      const mark = ph.received.length;
      await ph.waitForPackets(mark + 25 + 50, 10_000);
      expect(detectTones(ph.audio(mark + 25), 8000, [800, 2500])).toEqual([800]);
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
      await conf.close();
    }
  }, 30_000);
});
