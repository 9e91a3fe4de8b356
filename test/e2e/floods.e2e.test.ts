/**
 * Floods and exhausted resources through the whole gateway: one source flooding INVITE and
 * OPTIONS is throttled while a call from elsewhere connects with audio both ways; a media port
 * range that runs out turns new calls away with 503, and the gateway takes calls again once a
 * call ends and frees its ports.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import type { InjectedRequest } from '../support/drachtio-double/index.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { freeConsecutivePorts } from '../support/free-ports.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import * as sip from '../support/sip-messages.js';
import { until } from '../support/until.js';
import { GatewayHarness } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const WEB_TONES = [600, 1300];
const PHONE_TONE = 1700;
const FLOODER = { address: '192.0.2.66', port: 5060 };

describe.skipIf(!available)('floods and exhausted resources', () => {
  let h: GatewayHarness;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    // Exactly one call's media: the phone side and the bridge side (no port to spare for RTCP).
    const base = await freeConsecutivePorts(2);
    h = await GatewayHarness.start(
      { SIP_RATE_LIMIT: '10', SIP_RATE_LIMIT_BURST: '20', JIGASI_PORT_MIN: String(base), JIGASI_PORT_MAX: String(base + 1) },
      { keepPortRange: true },
    );
    // OPTIONS answers 200 only once the gateway can take calls (brewery joined and the rest).
    await until(() => h.gateway.readiness.sipVerdict().ready, 15_000, 'the gateway ready');
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await h?.close();
  });

  async function conference(): Promise<FakeConference> {
    const conf = new FakeConference({ speakers: WEB_TONES.map((freqHz) => ({ freqHz })), decodeRate: 16000 });
    cleanups.push(() => conf.close());
    return conf;
  }
  async function phone(): Promise<RtpPhone> {
    const p = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => p.close());
    return p;
  }
  async function throttledTotal(): Promise<number> {
    const m = await h.gateway.metrics.sipThrottledTotal.get();
    return m.values.reduce((n, v) => n + v.value, 0);
  }

  it('throttles 200 INVITE/OPTIONS from one address while a call from another connects with audio both ways', async () => {
    const room = await h.newRoom();
    const conf = await conference();
    const ph = await phone();

    // The flood: no room named, so what the limit lets through is refused by routing (404)
    // before it costs any media or XMPP.
    const flood: InjectedRequest[] = [];
    for (let i = 0; i < 200; i++) {
      const text =
        i % 2 === 0
          ? sip.invite({ from: `<sip:flood${i}@192.0.2.66>`, to: '<sip:4000@127.0.0.1>', sdp: sip.sdp({ port: 40000 }) })
          : sip.options({ from: '<sip:scanner@192.0.2.66>', to: '<sip:4000@127.0.0.1>' });
      flood.push(h.drachtio.injectRequest(text, { source: FLOODER }));
    }
    const started = performance.now();
    const { call, endpoint } = await h.connectedCall(ph, room, conf);
    const setupMs = performance.now() - started;
    await endpoint.bridge.connected;

    const finals = await Promise.all(flood.map((r) => r.waitForResponse()));
    const throttled = finals.filter((r) => r.status === 503);
    const passed = finals.filter((r) => r.status !== 503);
    expect(passed.length).toBeGreaterThanOrEqual(20);
    expect(passed.length).toBeLessThan(200 / 2);
    for (const r of passed) expect([404, 200]).toContain(r.status);
    for (const r of throttled) expect(Number(r.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await throttledTotal()).toBe(throttled.length);
    const metrics = await (await fetch(`http://127.0.0.1:${h.gateway.http.address?.port}/metrics`)).text();
    expect(metrics).toMatch(/jitsi_sip_gateway_sip_requests_throttled_total\{method="invite",action="reject"\} \d+/);
    expect(metrics).not.toContain('192.0.2.66');

    conf.start();
    ph.startTone(PHONE_TONE);
    const phoneFrom = ph.received.length;
    await until(() => (endpoint.gateway()?.packets ?? 0) > 60, 5000, 'gateway audio at the bridge');
    await ph.waitForPackets(phoneFrom + 25 + 50, 10_000);
    expect(endpoint.gateway()?.tones([PHONE_TONE, 440], 10)).toEqual([PHONE_TONE]);
    expect(detectTones(ph.audio(phoneFrom + 25), 8000, [...WEB_TONES, 2500])).toEqual(WEB_TONES);
    console.log(`call setup during a 200-request flood from another address: ${Math.round(setupMs)} ms; ${throttled.length} of 200 throttled`);

    expect(await call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'call closed');
  });

  it('answers 503 when the media port range is used up, and takes calls again once ports are free', async () => {
    const room = await h.newRoom();
    const conf = await conference();
    const first = await h.connectedCall(await phone(), room, conf, 'First Caller');

    // Both ports of the range belong to the first call now.
    const second = await h.dial(await phone(), room, 'Second Caller');
    const refused = await second.req.waitForResponse(503);
    expect(refused.get('reason') ?? '').toContain('503');
    await until(() => h.gateway.registry.size === 1, 5000, 'the refused call gone from the registry');

    expect(await first.call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0 && h.gateway.media.activeCalls === 0, 5000, 'first call closed');

    const conf2 = await conference();
    const third = await h.connectedCall(await phone(), room, conf2, 'Third Caller');
    await third.endpoint.bridge.connected;
    expect(await third.call.bye()).toBe(200);
    await until(() => h.gateway.registry.size === 0, 5000, 'third call closed');
  });
});
