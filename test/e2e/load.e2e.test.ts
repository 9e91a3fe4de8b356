import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayHarness, type PhoneCall } from './gateway-harness.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

/** The gateway's guarantee after a caller's BYE (TEARDOWN_DEADLINES_MS), plus slack for a busy machine. */
const CLOSED_WITHIN_MS = 1800 + 3000;
/** Calls before the leak check's first reading. */
const WARM_UP = 60;

/** Sockets, timers and other handles the process holds (what a leak would grow). */
function activeHandles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

describe.skipIf(!available)('the gateway with many calls', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await GatewayHarness.start({ MAX_CALLS: '50' });
  });
  afterAll(async () => {
    await h?.close();
  });

  async function fullCall(room: string, conf: FakeConference, tone: number): Promise<{ call: PhoneCall; ph: RtpPhone }> {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    const { call } = await h.connectedCall(ph, room, conf, `Caller ${tone}`);
    ph.startTone(tone);
    return { call, ph };
  }

  it('carries 20 concurrent calls in 4 rooms, each caller hearing its own room only', async () => {
    const roomTones = [500, 700, 1100, 1500];
    const rooms = await Promise.all(roomTones.map(() => h.newRoom()));
    const confs = roomTones.map((t) => new FakeConference({ speakers: [{ freqHz: t }] }));
    const calls: Array<{ call: PhoneCall; ph: RtpPhone; room: number }> = [];
    // The meetings are live before the phones call, as in a real one: a connected call that hears
    // nothing from its bridge for BRIDGE_MEDIA_TIMEOUT is ended, and twenty setups in a row on a
    // busy machine can take longer than that.
    for (const c of confs) c.start();
    try {
      for (let i = 0; i < 20; i++) {
        const r = i % 4;
        calls.push({ ...(await fullCall(rooms[r]!, confs[r]!, 2000 + i * 40)), room: r });
      }
      expect(h.gateway.registry.stats(), h.recent.tail()).toMatchObject({ calls: 20, conferences: 4 });
      const marks = calls.map((c) => c.ph.received.length);
      // 0.4 s skipped (the jitter buffers filling), then three seconds of each caller's audio:
      // counted in packets, since a loaded machine stretches the wall time they take. Each second
      // is checked on its own: no second may carry another room's tone, and the caller's own room
      // must be heard (a starved machine may turn a second of it into silence, never into another room).
      const SKIP = 20;
      const SECONDS = 3;
      await until(() => calls.every((c, i) => c.ph.received.length >= (marks[i] ?? 0) + SKIP + SECONDS * 50), 30_000, 'three seconds of audio at every phone');
      calls.forEach((c, i) => {
        const audio = c.ph.audio((marks[i] ?? 0) + SKIP);
        const perSecond = Array.from({ length: SECONDS }, (_, k) => detectTones(audio.subarray(k * 8000, (k + 1) * 8000), 8000, roomTones));
        const own = roomTones[c.room];
        expect(perSecond.flat().filter((t) => t !== own), `caller ${i} in room ${c.room} heard another room`).toEqual([]);
        expect(perSecond.filter((tones) => tones.includes(own!)).length, `caller ${i} in room ${c.room}`).toBeGreaterThanOrEqual(2);
      });
      const byes = await Promise.all(calls.map((c) => c.call.bye()));
      expect(byes.every((s) => s === 200)).toBe(true);
      await until(() => h.gateway.registry.size === 0, 10_000, 'all calls closed');
    } finally {
      // A failed check must not leave its calls to the next test.
      if (h.gateway.registry.size > 0) await Promise.all(calls.map((c) => c.call.bye().catch(() => 0)));
      await until(() => h.gateway.registry.size === 0, 10_000, 'all calls closed').catch(() => undefined);
      await Promise.all(calls.map((c) => c.ph.close()));
      await Promise.all(confs.map((c) => c.close()));
    }
  }, 60_000);

  it('finishes a call in progress during a graceful drain, refusing new calls with 503', async () => {
    const room = await h.newRoom();
    const conf = new FakeConference({ speakers: [{ freqHz: 800 }] });
    const { call, ph } = await fullCall(room, conf, 1900);
    try {
      const drained = h.gateway.drain();
      await until(() => h.gateway.registry.draining, 2000, 'draining');
      const late = await RtpPhone.create({ codec: 'PCMU' });
      try {
        const req = h.drachtio.injectRequest(
          (await import('../support/sip-messages.js')).invite({ from: '<sip:late@127.0.0.1>', to: '<sip:4000@127.0.0.1>', headers: { 'X-Room-Name': room }, sdp: late.offer() }),
        );
        expect((await req.waitForResponse(503)).get('retry-after')).toBeDefined();
      } finally {
        await late.close();
      }
      expect(h.gateway.registry.size).toBe(1);
      expect(await call.bye()).toBe(200);
      await drained;
      expect(h.gateway.registry.size).toBe(0);
    } finally {
      await ph.close();
      await conf.close();
    }
  }, 30_000);
});

describe.skipIf(!available)('the gateway over hundreds of calls', () => {
  it('leaks no sockets, timers, calls or memory after 200 sequential calls over 2 media workers', async () => {
    const h = await GatewayHarness.start({ MEDIA_WORKERS: '2' });
    const pool = h.gateway.workers;
    if (pool === undefined) throw new Error('the gateway runs no media workers');
    try {
      // Two rooms, so the calls alternate between the two workers.
      const rooms = [await h.newRoom(), await h.newRoom()];
      const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
      const placed = [0, 0];
      const one = async (i: number): Promise<void> => {
        const ph = await RtpPhone.create({ codec: 'PCMU' });
        const endpoint = await conf.addEndpoint();
        try {
          const call = await h.dial(ph, rooms[i % 2], `Soak ${i}`);
          await h.offerConference(call, conf, endpoint);
          await call.answered();
          pool.status().forEach((w, k) => (placed[k] = (placed[k] ?? 0) + w.placedCalls));
          ph.startTone(1000);
          await new Promise((r) => setTimeout(r, 20));
          expect(await call.bye()).toBe(200);
          await until(() => h.gateway.registry.size === 0, CLOSED_WITHIN_MS, `call ${i} closed`);
          // The test's own records of every stanza and request would otherwise look like a leak.
          h.focus.received.length = 0;
          h.drachtio.forgetRequests();
        } finally {
          await ph.close();
          await endpoint.close();
          conf.endpoints.splice(conf.endpoints.indexOf(endpoint), 1);
        }
      };
      conf.start();
      // Warm-up: the first calls compile code and fill caches for good; a leak grows after that.
      for (let i = 0; i < WARM_UP; i++) await one(i);
      await new Promise((r) => setTimeout(r, 1200));
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts sets it)');
      gc();
      const handles0 = activeHandles();
      const { rss: rss0, heapUsed: heap0 } = process.memoryUsage();
      const workerHeap0 = await Promise.all(pool.workers.map((w) => w.heapUsed()));
      for (let i = WARM_UP; i < 200; i++) await one(i);
      // Closed DTLS sessions stop their retransmit timers at their next wake-up (≤ ~1 s).
      await new Promise((r) => setTimeout(r, 1500));
      gc();
      const handles1 = activeHandles();
      const { rss: rss1, heapUsed: heap1 } = process.memoryUsage();
      const workerHeap1 = await Promise.all(pool.workers.map((w) => w.heapUsed()));
      const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
      const workers = workerHeap0.map((h0, k) => `worker ${k} ${mib(h0)} -> ${mib(workerHeap1[k] ?? 0)}`).join(', ');
      console.log(`soak: 200 calls; handles ${handles0} -> ${handles1}; heap ${mib(heap0)} -> ${mib(heap1)} MiB (${workers}); rss ${mib(rss0)} -> ${mib(rss1)} MiB`);
      // Each worker carried its room's calls (counted once each call was answered).
      expect(placed.every((n) => n >= 95)).toBe(true);
      expect(h.gateway.registry.stats()).toMatchObject({ calls: 0, totalCalls: 200, totalCompleted: 200 });
      expect(h.gateway.media.activeCalls).toBe(0);
      expect(h.gateway.sip.legCount).toBe(0);
      expect(handles1).toBeLessThanOrEqual(handles0 + 2);
      // After a forced GC the live heap is what a leak would grow: allow 10 KiB a call.
      const measured = 200 - WARM_UP;
      expect(heap1 - heap0).toBeLessThan(measured * 10 * 1024);
      // The same in each worker, where the media lived (half the calls each).
      workerHeap0.forEach((h0, k) => expect((workerHeap1[k] ?? Infinity) - h0).toBeLessThan((measured / 2) * 10 * 1024));
      await conf.close();
    } finally {
      await h.close();
    }
  }, 240_000);
});
