// Call setup benchmark: `npm run bench:calls`. Runs the whole gateway in this process against a real
// Prosody, the fake focus, the drachtio double, fake conferences and RTP phones on loopback, and
// prints INVITE → 200 OK and INVITE → first caller audio at the bridge (p50/p95), then the highest
// sustained call-setup rate (calls started per second) that completes with zero failures.
import { performance } from 'node:perf_hooks';
import { FakeConference } from '../test/support/fake-bridge-audio.js';
import { prosodyAvailable } from '../test/support/prosody.js';
import { RtpPhone } from '../test/support/rtp-phone.js';
import { GatewayHarness } from '../test/e2e/gateway-harness.js';

if (!prosodyAvailable()) {
  console.log('skipped: prosody not available');
  process.exit(0);
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface Timing {
  answeredMs: number;
  firstAudioMs: number;
}

async function oneCall(h: GatewayHarness, room: string, conf: FakeConference, i: number): Promise<Timing> {
  const ph = await RtpPhone.create({ codec: 'PCMU' });
  const endpoint = await conf.addEndpoint();
  try {
    ph.startTone(1000);
    const t0 = performance.now();
    const call = await h.dial(ph, room, `Bench ${i}`);
    await h.offerConference(call, conf, endpoint);
    await call.answered(15_000);
    const answeredMs = performance.now() - t0;
    while ((endpoint.gateway()?.packets ?? 0) === 0) {
      if (performance.now() - t0 > 15_000) throw new Error('no audio at the bridge');
      await new Promise((r) => setTimeout(r, 2));
    }
    const firstAudioMs = performance.now() - t0;
    if ((await call.bye()) !== 200) throw new Error('BYE refused');
    return { answeredMs, firstAudioMs };
  } finally {
    await ph.close();
    await endpoint.close();
    conf.endpoints.splice(conf.endpoints.indexOf(endpoint), 1);
  }
}

async function main(): Promise<void> {
  // MEDIA_WORKERS as the gateway reads it (default auto: one media worker per CPU).
  const h = await GatewayHarness.start({ MAX_CALLS: '500', MEDIA_WORKERS: process.env['MEDIA_WORKERS'] ?? 'auto' });
  console.log(`media workers: ${h.gateway.workers?.workers.length ?? 0} (0: media in the main thread)`);
  const conf = new FakeConference({ speakers: [{ freqHz: 700 }] });
  conf.start();
  try {
    const room = await h.newRoom();
    for (let i = 0; i < 5; i++) await oneCall(h, room, conf, i); // warm-up

    const seq: Timing[] = [];
    for (let i = 0; i < 50; i++) seq.push(await oneCall(h, room, conf, 100 + i));
    console.log('call setup, one at a time (50 calls):');
    console.log(`  INVITE -> 200 OK             p50 ${pct(seq.map((t) => t.answeredMs), 50).toFixed(1)} ms   p95 ${pct(seq.map((t) => t.answeredMs), 95).toFixed(1)} ms`);
    console.log(`  INVITE -> first audio at JVB  p50 ${pct(seq.map((t) => t.firstAudioMs), 50).toFixed(1)} ms   p95 ${pct(seq.map((t) => t.firstAudioMs), 95).toFixed(1)} ms`);

    console.log('sustained setup rate (each call: INVITE, join, Jingle, ICE/DTLS, 200, BYE):');
    let best = 0;
    for (const rate of [5, 10, 20, 30, 40, 60]) {
      const n = rate * 3;
      const started: Array<Promise<Timing>> = [];
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const due = t0 + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        started.push(oneCall(h, await h.newRoom(), conf, 1000 * rate + i));
      }
      const results = await Promise.allSettled(started);
      const failed = results.filter((r) => r.status === 'rejected').length;
      const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      console.log(
        `  ${String(rate).padStart(3)} calls/s x 3 s: ${failed} failed; INVITE -> 200 p50 ${pct(ok.map((t) => t.answeredMs), 50).toFixed(0)} ms, p95 ${pct(ok.map((t) => t.answeredMs), 95).toFixed(0)} ms`,
      );
      if (failed > 0) break;
      best = rate;
      while (h.gateway.registry.size > 0) await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`highest sustained setup rate with zero failures: ${best} calls/s`);
  } finally {
    await conf.close();
    await h.close();
  }
}

await main();
