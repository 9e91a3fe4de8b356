/**
 * The engine side of the media benchmark with media in worker threads (BENCH_WORKERS=N): the
 * gateway's MediaWorkerPool, driven over the same IPC protocol as engine-process.ts. The window it
 * reports is the whole process (main thread, workers, libuv and V8 helper threads); it also prints
 * each worker's share of a core (its event loop's busy time) and the main thread's own CPU, read
 * from Linux's per-thread accounting.
 */
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../src/log.js';
import type { CallMedia } from '../../src/media/call-media.js';
import { MediaWorkerPool } from '../../src/media/worker/worker-pool.js';
import { BENCH_AUDIO, type EngineWindow, type FromEngine, type ToEngine } from './protocol.js';


const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 2);
const pool = new MediaWorkerPool({
  workers: WORKERS,
  init: {
    engine: { bindAddress: '127.0.0.1', portRange: { min: 0, max: 0 }, timeouts: { bridgeMediaMs: 0, callerMediaMs: 0 } },
    promptsDir: undefined,
    logLevel: 'silent',
  },
  logger: silentLogger(),
});
const calls = new Map<number, CallMedia>();
/** Main-thread CPU spent setting calls up (answering, connecting), µs, and how many. */
let setupUs = 0;
let setups = 0;

/** Late engine ticks over all workers since they started (as of their last load report). */
function lateTicks(): number {
  return pool.status().reduce((a, w) => a + w.lateTicks, 0);
}

function send(msg: FromEngine): void {
  process.send?.(msg);
}

/** CPU time of this process's main thread (its thread id is the pid), µs; undefined off Linux. */
function mainThreadCpuUs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, counted in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function connect(prepared: Extract<ToEngine, { t: 'connect' }>['calls']): Promise<void> {
  const t0 = mainThreadCpuUs();
  const made: CallMedia[] = [];
  const answers = [];
  for (const p of prepared) {
    const call = await pool.createCallMedia({ callId: `bench-${p.id}`, roomJid: p.room });
    calls.set(p.id, call);
    made.push(call);
    const answer = await call.answerCaller(p.offer);
    answers.push({ id: p.id, port: Number(/^m=audio (\d+) /m.exec(answer)?.[1]) });
  }
  send({ t: 'answered', answers });
  const results = await Promise.allSettled(prepared.map((p, i) => made[i]!.connectBridge(p.room, p.remote, BENCH_AUDIO, p.sources)));
  const t1 = mainThreadCpuUs();
  if (t0 !== undefined && t1 !== undefined) {
    setupUs += t1 - t0;
    setups += prepared.length;
  }
  send({ t: 'connected', ids: prepared.map((p) => p.id), failed: results.filter((r) => r.status === 'rejected').length });
}

let mark: { cpu: NodeJS.CpuUsage; wall: number; main: number | undefined; late: number } | undefined;
/** The workers' busy shares, sampled each second of the window (each report covers its last second). */
let busySamples: number[][] = [];
let sampler: NodeJS.Timeout | undefined;

process.on('message', (raw: unknown) => {
  const msg = raw as ToEngine;
  switch (msg.t) {
    case 'connect':
      void connect(msg.calls);
      break;
    case 'baseline':
      send({ t: 'baseline', rssBytes: process.memoryUsage().rss });
      break;
    case 'measureStart':
      mark = { cpu: process.cpuUsage(), wall: performance.now(), main: mainThreadCpuUs(), late: lateTicks() };
      busySamples = [];
      sampler = setInterval(() => busySamples.push(pool.status().map((w) => w.busy)), 1000);
      send({ t: 'measureStarted' });
      break;
    case 'measureEnd': {
      if (mark === undefined) break;
      clearInterval(sampler);
      const cpu = process.cpuUsage(mark.cpu);
      const wallMs = performance.now() - mark.wall;
      const mainNow = mainThreadCpuUs();
      const n = calls.size;
      const ticks = wallMs / 20;
      const perCallTick = (us: number): string => (n === 0 ? '-' : (us / n / ticks).toFixed(0));
      const busy = pool.status().map((w, i) => {
        const samples = busySamples.map((s) => s[i] ?? 0);
        return { index: w.index, calls: w.placedCalls, busy: samples.length === 0 ? w.busy : samples.reduce((a, b) => a + b, 0) / samples.length };
      });
      const mainUs = mainNow !== undefined && mark.main !== undefined ? mainNow - mark.main : undefined;
      const workerLine = busy
        .map((w) => `worker ${w.index}: ${w.calls} calls, ${(100 * w.busy).toFixed(0)}% of a core, ${w.calls === 0 ? '-' : ((w.busy * 20_000) / w.calls).toFixed(0)} µs/call/tick`)
        .join('; ');
      console.log(
        `    [${WORKERS} workers, ${n} calls] ${workerLine}; main thread ${mainUs === undefined ? '?' : `${perCallTick(mainUs)} µs/call/tick`}` +
          `${setups > 0 ? `, ${(setupUs / setups / 1000).toFixed(1)} ms CPU per call set up` : ''}; whole process ${perCallTick(cpu.user + cpu.system)} µs/call/tick`,
      );
      const window: EngineWindow = {
        calls: n,
        wallMs,
        cpuUs: cpu.user + cpu.system,
        systemUs: cpu.system,
        rssBytes: process.memoryUsage().rss,
        // The engines' own counters stay in the workers; loss and latency come from the load side.
        ticks: Math.round(ticks),
        lateTicks: lateTicks() - mark.late,
        skippedTicks: 0,
        callerLost: 0,
        callerReceived: 0,
        bridgeLost: 0,
        bridgeReceived: 0,
        decoded: 0,
        skippedSilent: 0,
        encoded: 0,
        bridgeJitter: { depthMs: 0, targetMs: 0, jitterMs: 0 },
        gc: { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMaxMs: 0 },
      };
      send({ t: 'window', window });
      break;
    }
    case 'codecFloor':
      // Measured by the in-process engine run; nothing to compare here.
      send({ t: 'codecFloor', encodeUs: NaN, decodeUs: NaN, referenceEncodeUs: NaN });
      break;
    case 'exit':
      void pool.close().then(() => process.exit(0));
      break;
    case 'closeAll':
      void Promise.all([...calls.values()].map((c) => c.close())).then(() => {
        calls.clear();
        setupUs = 0;
        setups = 0;
        send({ t: 'closed' });
      });
      break;
  }
});

void pool.ready().then(() => send({ t: 'ready' }));
