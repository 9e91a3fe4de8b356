/**
 * Several gateways behind a real Kamailio (deploy/kamailio/kamailio.cfg, dispatcher module) on
 * loopback, phones played by sipp with RTP phones: how calls are spread, what a drain, a crash
 * and a restart do, and a full gateway's 503 retried on the other one. The figures (distribution,
 * failover times) are printed for README's "Scaling out".
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { detectTones } from '../support/audio.js';
import { drachtioAvailable, sippAvailable } from '../support/drachtio-server.js';
import { FakeConference } from '../support/fake-bridge-audio.js';
import { Kamailio, kamailioAvailable } from '../support/kamailio.js';
import { prosodyAvailable } from '../support/prosody.js';
import { RtpPhone } from '../support/rtp-phone.js';
import { until } from '../support/until.js';
import { GatewayInstance, SharedJitsi } from './scale-out-harness.js';

const missing = [
  ...(prosodyAvailable() ? [] : ['prosody']),
  ...(sippAvailable() ? [] : ['sipp']),
  ...(kamailioAvailable() ? [] : ['kamailio']),
];
if (missing.length > 0) console.log(`skipped: scale-out tests (${missing.join(', ')} not available)`);
const available = missing.length === 0;
const realDrachtio = available && drachtioAvailable();
if (available && !realDrachtio) console.log('skipped: scale-out tests with real drachtio-servers (DRACHTIO_BIN not available; run with the drachtio double)');

/** Probe settings of these tests: one OPTIONS a second, one failure takes a gateway out. */
const PING_INTERVAL_S = 1;
const FR_TIMER_MS = 1000;
/**
 * The dispatcher's guarantee: a gateway that stops answering 200 is out after the next probe
 * fails, i.e. within one interval plus FR_TIMER_MS when it is silent. Doubled, plus slack for
 * kamcmd polling and a busy 2-core machine.
 */
const PROBE_WINDOW_MS = 2 * (PING_INTERVAL_S * 1000 + FR_TIMER_MS) + 2000;
const ROOM_TONES = [600, 900, 1300, 1700];

/**
 * The share of 40 ms blocks of `pcm` in which `tone` is the only one of `candidates` heard.
 * Block by block, because with 20 calls, both gateways and every phone and bridge endpoint in
 * one test process, a late phone packet now and then costs a frame: a tone measured over the
 * whole stretch at once loses its phase and hides in the noise, while each block still has it.
 */
function toneShare(pcm: Int16Array, rate: number, tone: number, candidates: readonly number[]): number {
  const size = (rate / 1000) * 40;
  let blocks = 0;
  let heard = 0;
  for (let at = 0; at + size <= pcm.length; at += size) {
    blocks++;
    const found = detectTones(pcm.subarray(at, at + size), rate, candidates);
    if (found.length === 1 && found[0] === tone) heard++;
  }
  return blocks === 0 ? 0 : heard / blocks;
}

interface PlacedCall {
  setupMs: number;
  done: () => Promise<number | null>;
  /** sipp's output, for failure messages. */
  output: () => string;
}

describe.skipIf(!available)('gateways behind Kamailio, each with a drachtio double behind a UDP socket', () => scaleOutSuite(false));
describe.skipIf(!realDrachtio)('gateways behind Kamailio, each with its own drachtio-server', () => scaleOutSuite(true));

function scaleOutSuite(real: boolean): void {
  const mode = real ? 'drachtio-server' : 'double';
  let jitsi: SharedJitsi;
  const cleanups: Array<() => Promise<void>> = [];
  /** The gateways of the running test, whose warnings a failed call reports. */
  const running: GatewayInstance[] = [];

  beforeAll(async () => {
    jitsi = await SharedJitsi.start();
  }, 30_000);
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  afterAll(async () => {
    await jitsi?.close();
  });

  async function gateway(name: string, opts: Parameters<typeof GatewayInstance.start>[2] = {}): Promise<GatewayInstance> {
    const g = await GatewayInstance.start(jitsi, name, { ...opts, realDrachtio: real });
    running.push(g);
    cleanups.push(async () => {
      running.splice(running.indexOf(g), 1);
      await g.close();
    });
    return g;
  }

  async function kamailio(gateways: GatewayInstance[], pingIntervalS = PING_INTERVAL_S): Promise<Kamailio> {
    const k = await Kamailio.start({ gateways: gateways.map((g) => g.sipTarget), pingIntervalS, frTimerMs: FR_TIMER_MS });
    cleanups.push(() => k.stop());
    return k;
  }

  async function conference(tone: number): Promise<FakeConference> {
    const conf = new FakeConference({ speakers: [{ freqHz: tone }] });
    conf.start();
    cleanups.push(() => conf.close());
    return conf;
  }

  /**
   * A phone dials `target`; the focus offers it `conf` once it is in `room`; answered, its audio
   * is checked both ways (its own tone at the bridge, only its room's tone at the phone). Resolves
   * when checked; `done()` waits for sipp's hang-up after `talkMs`.
   */
  async function call(target: string, room: string, conf: FakeConference, roomTone: number, n: number, talkMs = 8000): Promise<PlacedCall> {
    const ph = await RtpPhone.create({ codec: 'PCMU' });
    cleanups.push(() => ph.close());
    const endpoint = await conf.addEndpoint();
    const name = `Scale Phone ${n}`;
    const started = performance.now();
    const sipp = await jitsi.dial(target, ph, { room, displayName: name, hangup: { by: 'caller', talkMs } });
    cleanups.push(async () => sipp.kill());
    try {
      await jitsi.offerConference(room, name, conf, endpoint);
    } catch (err) {
      throw new Error(`${name} never showed up in ${room}: ${(err as Error).message}\nsipp:\n${sipp.output.slice(-1500)}`);
    }
    await sipp.answered().catch((err: Error) => {
      const warnings = running.map((g) => `gateway ${g.name}:\n${g.recent.tail()}`).join('\n');
      throw new Error(`${err.message}\nwarnings:\n${warnings}`);
    });
    const setupMs = performance.now() - started;
    const tone = 2000 + (n % 40) * 40;
    const bridgeMark = endpoint.gateway()?.frames.length ?? 0;
    ph.startTone(tone);
    const from = ph.received.length;
    // Generous: twenty calls, two gateways, Kamailio and sipp share two cores with the rest of the suite.
    await until(() => (endpoint.gateway()?.frames.length ?? 0) > bridgeMark + 40, 15_000, `phone ${n}'s audio at the bridge`);
    await until(() => ph.received.length > from + 40, 15_000, `meeting audio at phone ${n}`);
    const atBridge = endpoint.gateway();
    expect(toneShare(atBridge?.audio(bridgeMark + 15) ?? new Int16Array(), atBridge?.sampleRate ?? 16000, tone, [tone, 440]), `phone ${n} heard by the meeting`).toBeGreaterThanOrEqual(0.5);
    expect(toneShare(ph.audio(from + 20), 8000, roomTone, ROOM_TONES), `phone ${n} hears its room`).toBeGreaterThanOrEqual(0.5);
    return { setupMs, done: () => sipp.done(), output: () => sipp.output.slice(-3000) };
  }

  /** `count` calls through `target`, started 200 ms apart, all of which must connect and end normally. */
  async function callsThrough(target: string, count: number, first: number): Promise<number[]> {
    const room = await jitsi.newRoom();
    const tone = ROOM_TONES[0] ?? 600;
    const conf = await conference(tone);
    const placed: Array<Promise<PlacedCall>> = [];
    for (let i = 0; i < count; i++) {
      // Long enough for the audio check (~1 s of audio both ways) before sipp hangs up.
      placed.push(call(target, room, conf, tone, first + i, 3000));
      await new Promise((r) => setTimeout(r, 200));
    }
    const calls = await Promise.all(placed);
    for (const c of calls) expect(await c.done(), c.output()).toBe(0);
    return calls.map((c) => c.setupMs);
  }

  it('spreads 20 calls over two gateways, each with audio both ways; a drained gateway gets no new call and none fails', async () => {
    const a = await gateway('a');
    const b = await gateway('b');
    const k = await kamailio([a, b]);

    const rooms = await Promise.all(ROOM_TONES.map(() => jitsi.newRoom()));
    const confs = await Promise.all(ROOM_TONES.map((t) => conference(t)));
    const placed: Array<Promise<PlacedCall>> = [];
    for (let i = 0; i < 20; i++) {
      const r = i % ROOM_TONES.length;
      placed.push(call(k.target, rooms[r] ?? '', confs[r]!, ROOM_TONES[r] ?? 0, i));
      // A trickle, as phones call: the calls still overlap (each talks 8 s).
      await new Promise((res) => setTimeout(res, 150));
    }
    const calls = await Promise.all(placed);
    const peak = a.gateway.registry.size + b.gateway.registry.size;
    const codes = await Promise.all(calls.map((c) => c.done()));
    expect(codes.every((c) => c === 0)).toBe(true);
    expect(a.callsTaken + b.callsTaken).toBe(20);
    // Round robin over two healthy gateways.
    expect(Math.abs(a.callsTaken - b.callsTaken)).toBeLessThanOrEqual(2);
    const setups = calls.map((c) => c.setupMs).sort((x, y) => x - y);
    console.log(
      `scale-out (${mode}): 20 calls → gateway a ${a.callsTaken}, gateway b ${b.callsTaken} (peak ${peak} at once); ` +
        `setup through Kamailio p50 ${setups[10]?.toFixed(0)} ms, max ${setups[19]?.toFixed(0)} ms`,
    );

    // Drain a while one of its calls is still up (dialled to it directly, as a call in progress).
    const room = await jitsi.newRoom();
    const conf = await conference(ROOM_TONES[1] ?? 900);
    const ongoing = await call(a.sipTarget, room, conf, ROOM_TONES[1] ?? 900, 100, 6000);
    const aBefore = a.callsTaken;
    const bBefore = b.callsTaken;
    const drained = a.gateway.drain();
    const out = k.waitUntil(a.sipTarget, false, PROBE_WINDOW_MS);
    // New calls at once, before the dispatcher has probed: a's 503 would send them on to b.
    const setups2 = await callsThrough(k.target, 4, 200);
    const outMs = await out;
    expect(a.callsTaken).toBe(aBefore);
    expect(b.callsTaken).toBe(bBefore + 4);
    expect(await ongoing.done(), ongoing.output()).toBe(0);
    await drained;
    console.log(
      `scale-out drain (${mode}): a out of rotation ${outMs.toFixed(0)} ms after the drain began; 4 calls during it all on b ` +
        `(setup ${setups2.map((s) => s.toFixed(0)).join(', ')} ms; INVITEs a refused with 503: ${await a.invitesRefused()}); its call in progress ended normally`,
    );
  }, 120_000);

  it('takes a crashed gateway out after the probe window, and back in once it answers again', async () => {
    const a = await gateway('a');
    const b = await gateway('b');
    const k = await kamailio([a, b]);
    await k.waitUntil(a.sipTarget, true, PROBE_WINDOW_MS);

    const port = a.sipPort;
    const crashedAt = performance.now();
    await a.crash();
    await k.waitUntil(a.sipTarget, false, PROBE_WINDOW_MS);
    const outMs = performance.now() - crashedAt;
    const bBefore = b.callsTaken;
    const setups = await callsThrough(k.target, 3, 300);
    expect(b.callsTaken).toBe(bBefore + 3);

    // The host comes back on the same address: the next good probe puts it back in rotation.
    const restartedAt = performance.now();
    const a2 = await gateway('a2', { sipPort: port });
    const backMs = await k.waitUntil(a2.sipTarget, true, PROBE_WINDOW_MS);
    const inAfterMs = performance.now() - restartedAt;
    await callsThrough(k.target, 4, 400);
    expect(a2.callsTaken).toBeGreaterThanOrEqual(1);
    expect(a2.callsTaken + b.callsTaken).toBe(bBefore + 7);
    console.log(
      `scale-out crash (${mode}): a out of rotation ${outMs.toFixed(0)} ms after it went silent ` +
        `(ping ${PING_INTERVAL_S} s, fr_timer ${FR_TIMER_MS} ms); 3 calls then all on b (setup ${setups.map((s) => s.toFixed(0)).join(', ')} ms); ` +
        `restarted a back in rotation ${inAfterMs.toFixed(0)} ms after its restart began (${backMs.toFixed(0)} ms after it was up), then took ${a2.callsTaken} of 4 calls`,
    );
  }, 120_000);

  it('retries a call refused with 503 by a full gateway on the other one: no 503 reaches the phone', async () => {
    const a = await gateway('a', { env: { MAX_CALLS: '1' } });
    const b = await gateway('b');
    // Probes far apart: the INVITEs find out that a is full, not the dispatcher's OPTIONS.
    const k = await kamailio([a, b], 3600);

    // a's only slot is taken by a call dialled to it directly.
    const room = await jitsi.newRoom();
    const conf = await conference(ROOM_TONES[2] ?? 1300);
    const held = await call(a.sipTarget, room, conf, ROOM_TONES[2] ?? 1300, 500, 6000);
    expect(a.gateway.registry.size).toBe(1);

    // Round robin sends one of the first two INVITEs to a, which answers 503.
    const setups = await callsThrough(k.target, 3, 600);
    const refused = await a.invitesRefused();
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(b.callsTaken).toBe(3);
    expect(await held.done()).toBe(0);
    console.log(`scale-out full (${mode}): ${refused} INVITE(s) refused 503 by the full gateway, retried on the other; setup ${setups.map((s) => s.toFixed(0)).join(', ')} ms`);
  }, 90_000);

  it('answers OPTIONS 503 while its XMPP session is down, and 200 again once it is back', async () => {
    const a = await gateway('a');
    const k = await kamailio([a]);
    await k.waitUntil(a.sipTarget, true, PROBE_WINDOW_MS);
    await jitsi.prosody.stop();
    const stoppedAt = performance.now();
    try {
      await until(() => a.gateway.brewery.state !== 'joined', 5000, 'the brewery session to drop');
      const outMs = await k.waitUntil(a.sipTarget, false, PROBE_WINDOW_MS);
      const health = await fetch(`http://127.0.0.1:${a.gateway.http.address?.port ?? 0}/about/health`);
      expect(health.status).toBe(503);
      expect(Object.keys(((await health.json()) as { problems: Record<string, string> }).problems)).toContain('xmpp');
      console.log(`scale-out xmpp (${mode}): gateway out of rotation ${(performance.now() - stoppedAt).toFixed(0)} ms after Prosody stopped (${outMs.toFixed(0)} ms after its session dropped)`);
    } finally {
      await jitsi.prosody.start();
    }
    // The brewery session reconnects with backoff (0.5 s doubling); then the next probe is answered 200.
    await until(() => a.gateway.brewery.state === 'joined', 40_000, 'the brewery session to rejoin');
    await k.waitUntil(a.sipTarget, true, PROBE_WINDOW_MS);
  }, 90_000);
}
