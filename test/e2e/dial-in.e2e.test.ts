/**
 * Dial-in out of the box, end to end: the PIN comes from the gateway's own conferenceMapper
 * endpoint (as Jitsi Meet's invite dialog gets it), a phone calls without naming a room, types
 * the PIN over RFC 4733 and is in that meeting with audio both ways; the one-tap form (the PIN
 * in the Request-URI after the number) joins without any prompt.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { GatewayHarness, PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const WEB_TONE = 800;
const PHONE_TONE = 1700;

describe.skipIf(!available)('dial-in with the built-in conference mapper', () => {
  let h: GatewayHarness;
  let dataDir = '';
  let base = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dial-in-e2e-'));
    h = await GatewayHarness.start({
      MAPPER_STORE: 'sqlite',
      MAPPER_DATA_DIR: dataDir,
      DIAL_IN_NUMBERS: 'DE:+49 30 1234567, US:+1 555 010 0100:tollfree',
      DIALIN_HTTP_PORT: '0',
    });
    base = `http://127.0.0.1:${h.gateway.dialIn?.server.address?.port}`;
  }, 30_000);
  afterAll(async () => {
    await h?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What Jitsi Meet's invite dialog asks for a meeting, printed so a run shows the answers. */
  async function inviteDialog(room: string): Promise<string> {
    const mapper = await fetch(`${base}/conferenceMapper?conference=${room}&url=https://meet.example.com/${room.split('@')[0]}`);
    const numbers = await fetch(`${base}/phoneNumberList?conference=${room}`);
    expect(mapper.status).toBe(200);
    expect(numbers.status).toBe(200);
    const m = (await mapper.json()) as { id: number; conference: string };
    const n: unknown = await numbers.json();
    console.log(`GET /conferenceMapper → ${JSON.stringify(m)}`);
    console.log(`GET /phoneNumberList → ${JSON.stringify(n)}`);
    expect(m.conference).toBe(room);
    return String(m.id);
  }

  /** Offers the conference to the call's occupant and checks audio in both directions. */
  async function inTheMeetingBothWays(call: PhoneCall, ph: RtpPhone, conf: FakeConference): Promise<void> {
    const endpoint = await conf.addEndpoint();
    await h.offerConference(call, conf, endpoint);
    await endpoint.bridge.connected;
    if (call.ok === undefined) await call.answered();
    conf.start();
    ph.startTone(PHONE_TONE);
    const mark = ph.received.length;
    await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 5000, 'the phone at the bridge');
    await ph.waitForPackets(mark + 25 + 50, 10_000);
    expect(endpoint.gateway()?.tones([PHONE_TONE, 440], 10)).toEqual([PHONE_TONE]);
    expect(detectTones(ph.audio(mark + 25), 8000, [WEB_TONE, 2500])).toEqual([WEB_TONE]);
  }

  it('counts the dial-in answers in /metrics by endpoint and status, unknown paths as one "other"', async () => {
    const count = async (endpoint: string, status: string): Promise<number> =>
      (await h.gateway.metrics.dialInRequestsTotal.get()).values.find((v) => v.labels['endpoint'] === endpoint && v.labels['status'] === status)?.value ?? 0;
    const before = { ok: await count('conferenceMapper', '200'), bad: await count('conferenceMapper', '400'), other: await count('other', '404') };
    const room = await h.newRoom();
    expect((await fetch(`${base}/conferenceMapper?conference=${room}`)).status).toBe(200);
    expect((await fetch(`${base}/conferenceMapper`)).status).toBe(400);
    expect((await fetch(`${base}/no-such-endpoint-1`)).status).toBe(404);
    expect((await fetch(`${base}/no-such-endpoint-2`)).status).toBe(404);
    expect(await count('conferenceMapper', '200')).toBe(before.ok + 1);
    expect(await count('conferenceMapper', '400')).toBe(before.bad + 1);
    expect(await count('other', '404')).toBe(before.other + 2);
    const text = await (await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/metrics`)).text();
    expect(text).toMatch(/^jitsi_sip_gateway_dialin_requests_total\{endpoint="conferenceMapper",status="200"\} \d+$/m);
    expect(text).not.toContain('no-such-endpoint');
  });

  it('takes the PIN Jitsi Meet shows, typed without #, and puts the caller in that meeting with audio both ways', async () => {
    const room = await h.newRoom();
    const pin = await inviteDialog(room);
    const conf = new FakeConference({ speakers: [{ freqHz: WEB_TONE }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const call = await h.dial(ph, undefined, 'Pin Caller');
      await call.answered();
      await until(() => ph.received.length > 40, 5000, 'the PIN prompt');
      // The PIN's length is known, so the last digit ends it: no '#' needed.
      // Timed from the first digit: the gateway acts on the last digit's first packet, before
      // sendDigits (which waits for the redundant end packets) returns.
      const typing = performance.now();
      await ph.sendDigits(pin);
      call.room = room;
      call.occupant = await h.occupantOf(call, 10_000);
      console.log(`first of ${pin.length} PIN digits sent (100 ms each) → in the meeting's room: ${Math.round(performance.now() - typing)} ms`);
      await inTheMeetingBothWays(call, ph, conf);
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
      await conf.close();
    }
  }, 40_000);

  it('joins a one-tap call (the PIN after the number in the Request-URI) without any prompt', async () => {
    const room = await h.newRoom();
    const pin = await inviteDialog(room);
    const conf = new FakeConference({ speakers: [{ freqHz: WEB_TONE }] });
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    try {
      const invite = sip.invite({
        from: `"One Tap" <sip:+1555${ph.port}@127.0.0.1>`,
        to: '<sip:+49301234567@127.0.0.1>',
        requestUri: `sip:+49301234567,,${pin}%23@127.0.0.1`,
        sdp: ph.offer(),
      });
      const req = h.drachtio.injectRequest(invite, { source: { address: '127.0.0.1', port: 5070 }, protocol: 'udp' });
      await req.waitForResponse(180);
      const call = new PhoneCall(h, ph, invite, req, room, 'One Tap');
      // In the room before anything was answered: a prompt would have needed the answer first.
      call.occupant = await h.occupantOf(call, 10_000);
      expect(req.responses.map((r) => r.status)).not.toContain(200);
      await inTheMeetingBothWays(call, ph, conf);
      expect(await call.bye()).toBe(200);
      await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
    } finally {
      await ph.close();
      await conf.close();
    }
  }, 40_000);
});
