/**
 * Media engine benchmark: `npm run bench:media`. Prints figures; asserts nothing.
 *
 * Three processes: this orchestrator (idle while measuring), the ENGINE (bench/media/
 * engine-process.ts: a MediaEngine only, so process.cpuUsage() there is the engine's cost) and the
 * LOAD (bench/media/load-process.ts: fake phones with G.711 RTP and fake bridges with ICE, DTLS,
 * SRTP and Opus). On Linux each is pinned to its own core with taskset when available.
 *
 * Scenario A: N calls, each its own room: a phone sending and receiving PCMU 20 ms, and a bridge
 * with three web speakers (one active, two silent at level 127). N grows until something breaks.
 * Every phone in A talks all the time (a loud burst, then a quieter tone that the gateway's VAD
 * still calls speech), so the Opus encoder runs every tick: the worst case.
 * Scenario B: 30 phone callers in one room (each hears the 29 others and the web speakers); three
 * callers talk, the rest send near-silence (about -60 dBov), which the gateway sends on as
 * level-127 silence frames without encoding; the fake JVB forwards every caller's audio to the
 * other 29 transports unless its level is 127, as the JVB does.
 *
 * Latency method: every call's audio repeats a one-second cycle starting with a 100 ms loud burst.
 * The sender notes when it sent the burst's first packet; the receiver notes when the first loud
 * packet arrives (RFC 6464 level toward the bridge, which the gateway computes from the PCM it
 * decoded; PCM energy toward the phone). Both clocks are the load process' performance.now(), so
 * the difference is the one-way delay through the gateway (its jitter buffers, tick alignment,
 * codecs, SRTP) plus loopback. Loss is counted by RTP timestamp at the receivers, so ticks the
 * engine skipped count as loss too, and by the engine's jitter buffers on its inputs.
 *
 * Columns: µs of engine CPU per call per 20 ms tick, the engine's share of one core, frames lost
 * toward the bridge and toward the caller, one-way latency through the gateway, engine RSS growth
 * per call, the load process' share of its core, and what other processes on the machine used
 * meanwhile (% of one core): the cores are shared, and others' work skews the figures.
 *
 * Environment: BENCH_STEPS (e.g. "10,20,40"), BENCH_SETTLE_MS (default 5000), BENCH_WINDOW_MS
 * (default 8000), BENCH_B_CALLERS (default 30, 0 skips scenario B), BENCH_PROFILE (a directory: the
 * engine process writes a CPU profile of each measurement window there, for Chrome DevTools).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { EngineWindow, FromEngine, FromLoad, LoadWindow, PreparedCall, ToEngine, ToLoad } from './media/protocol.js';
import { fmt, pct, percentile, row } from './media/stats.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const STEPS = (process.env['BENCH_STEPS'] ?? '10,20,40,60,80,100,120,140,160').split(',').map(Number);
// Long enough for jitter buffers to give back the spikes that setting up the next calls causes.
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 5000);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 8000);
const B_CALLERS = Number(process.env['BENCH_B_CALLERS'] ?? 30);
const TICK_MS = 20;

class Child<In, Out extends { t: string }> {
  readonly #proc: ChildProcess;
  readonly #waiting: Array<{ t: string; resolve: (m: Out) => void }> = [];

  constructor(script: string, execArgv: string[], readonly name: string) {
    this.#proc = fork(here(script), [], { execArgv: ['--import', 'tsx', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#proc.on('message', (m: unknown) => {
      const msg = m as Out;
      const i = this.#waiting.findIndex((w) => w.t === msg.t);
      if (i >= 0) this.#waiting.splice(i, 1)[0]!.resolve(msg);
    });
    this.#proc.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`${name} process exited with ${code}`);
    });
  }

  get pid(): number | undefined {
    return this.#proc.pid;
  }

  next<T extends Out['t']>(t: T): Promise<Extract<Out, { t: T }>> {
    return new Promise((resolve) => this.#waiting.push({ t, resolve: resolve as (m: Out) => void }));
  }

  async ask<T extends Out['t']>(msg: In, reply: T): Promise<Extract<Out, { t: T }>> {
    const answer = this.next(reply);
    this.#proc.send(msg as object);
    return answer;
  }

  /** Asks the child to exit normally (so profilers can write their output). */
  exit(): void {
    this.#proc.send({ t: 'exit' });
  }
}

type Engine = Child<ToEngine, FromEngine>;
type Load = Child<ToLoad, FromLoad>;

function pin(pid: number | undefined, cpu: number): string {
  if (pid === undefined) return 'not pinned';
  try {
    execFileSync('taskset', ['-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return `cpu ${cpu}`;
  } catch {
    return 'not pinned (no taskset)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function addCalls(engine: Engine, load: Load, ids: number[], scenario: 'A' | 'B'): Promise<void> {
  // Batches keep the DTLS handshakes of many calls from starving the running ones.
  for (let i = 0; i < ids.length; i += 10) {
    const batch = ids.slice(i, i + 10);
    const { calls } = await load.ask({ t: 'prepare', ids: batch, scenario }, 'prepared');
    const connected = engine.next('connected');
    const { answers } = await engine.ask({ t: 'connect', calls: calls as PreparedCall[] }, 'answered');
    await load.ask({ t: 'answers', answers }, 'answersApplied');
    const result = await connected;
    if (result.failed > 0) console.error(`  ${result.failed} of ${batch.length} bridge connections failed`);
    await load.ask({ t: 'startMedia', ids: batch }, 'mediaStarted');
  }
}

/** Busy and total jiffies of the whole machine (Linux /proc/stat), to see other processes' load. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

interface Window {
  e: EngineWindow;
  l: LoadWindow;
  /** CPU used by everything else on the machine during the window, % of one core. */
  othersPct: number;
}

async function measure(engine: Engine, load: Load): Promise<Window> {
  await sleep(SETTLE_MS);
  await Promise.all([engine.ask({ t: 'measureStart' }, 'measureStarted'), load.ask({ t: 'measureStart' }, 'measureStarted')]);
  const before = machineCpu();
  await sleep(WINDOW_MS);
  const after = machineCpu();
  const [e, l] = await Promise.all([engine.ask({ t: 'measureEnd' }, 'window'), load.ask({ t: 'measureEnd' }, 'window')]);
  let othersPct = NaN;
  if (before !== undefined && after !== undefined && after.total > before.total) {
    const cores = 2;
    const machinePct = (100 * cores * (after.busy - before.busy)) / (after.total - before.total);
    othersPct = Math.max(0, machinePct - pct(e.window.cpuUs / 1000, e.window.wallMs) - pct(l.window.cpuUs / 1000, l.window.wallMs));
  }
  return { e: e.window, l: l.window, othersPct };
}

interface Figures {
  n: number;
  usPerCallTick: number;
  corePct: number;
  lossToBridgePct: number;
  lossToCallerPct: number;
  c2b: [number, number];
  b2c: [number, number];
  rssPerCallMb: number;
  loadPct: number;
  othersPct: number;
}

function figures(n: number, { e, l, othersPct }: Window, baselineRss: number): Figures {
  const ticks = e.wallMs / TICK_MS;
  const toBridgeMissing = Math.max(0, l.toBridgesExpected - l.toBridgesReceived) + e.callerLost;
  const toCallerMissing = Math.max(0, l.toPhonesExpected - l.toPhonesReceived) + e.bridgeLost;
  return {
    n,
    usPerCallTick: e.cpuUs / (n * ticks),
    corePct: pct(e.cpuUs / 1000, e.wallMs),
    lossToBridgePct: pct(toBridgeMissing, l.toBridgesExpected + e.callerReceived),
    lossToCallerPct: pct(toCallerMissing, l.toPhonesExpected + e.bridgeReceived),
    c2b: [percentile(l.callerToBridgeMs, 50), percentile(l.callerToBridgeMs, 95)],
    b2c: [percentile(l.bridgeToCallerMs, 50), percentile(l.bridgeToCallerMs, 95)],
    rssPerCallMb: (e.rssBytes - baselineRss) / n / 1048576,
    loadPct: pct(l.cpuUs / 1000, l.wallMs),
    othersPct,
  };
}

/** BENCH_VERBOSE: where the loss and latency of a window come from. */
function verbose({ e, l }: Window): void {
  if (process.env['BENCH_VERBOSE'] === undefined) return;
  const dist = (v: number[]): string => [0, 10, 50, 90, 95, 99, 100].map((p) => fmt(percentile(v, p), 0)).join('/');
  console.log(
    `      to bridges ${l.toBridgesReceived}/${l.toBridgesExpected}, caller RTP lost ${e.callerLost}/${e.callerReceived}; ` +
      `to phones ${l.toPhonesReceived}/${l.toPhonesExpected}, bridge RTP lost+late ${e.bridgeLost}/${e.bridgeReceived}`,
  );
  console.log(
    `      latency c→b ${dist(l.callerToBridgeMs)} (n=${l.callerToBridgeMs.length}), ` +
      `b→c ${dist(l.bridgeToCallerMs)} (n=${l.bridgeToCallerMs.length}) [min/10/50/90/95/99/max]`,
  );
  console.log(
    `      ticks ${e.ticks} (late ${e.lateTicks}, skipped ${e.skippedTicks}); web speaker jitter buffer depth ` +
      `${fmt(e.bridgeJitter.depthMs, 0)} ms, target ${fmt(e.bridgeJitter.targetMs, 0)} ms, jitter ${fmt(e.bridgeJitter.jitterMs)} ms; ` +
      `GC ${e.gc.count} pauses, ${fmt(e.gc.totalMs, 0)} ms in all, longest ${fmt(e.gc.maxMs)} ms`,
  );
}

const WIDTHS = [5, 9, 7, 9, 9, 13, 13, 9, 7, 8];

function printHeader(): void {
  console.log(row(['N', 'µs/call', 'core%', 'loss c→b', 'loss b→c', 'c→b p50/p95', 'b→c p50/p95', 'MB/call', 'load%', 'others%'], WIDTHS));
}

function printRow(f: Figures): void {
  console.log(
    row(
      [
        f.n,
        fmt(f.usPerCallTick),
        fmt(f.corePct),
        `${fmt(f.lossToBridgePct, 2)}%`,
        `${fmt(f.lossToCallerPct, 2)}%`,
        `${fmt(f.c2b[0], 0)}/${fmt(f.c2b[1], 0)} ms`,
        `${fmt(f.b2c[0], 0)}/${fmt(f.b2c[1], 0)} ms`,
        fmt(f.rssPerCallMb, 2),
        fmt(f.loadPct),
        fmt(f.othersPct),
      ],
      WIDTHS,
    ),
  );
}

async function main(): Promise<void> {
  const engine: Engine = new Child('./media/engine-process.ts', ['--expose-gc'], 'engine');
  const load: Load = new Child('./media/load-process.ts', [], 'load');
  await Promise.all([engine.next('ready'), load.next('ready')]);
  console.log(
    `media engine benchmark: engine ${pin(engine.pid, 0)}, load ${pin(load.pid, 1)}; settle ${SETTLE_MS} ms, ` +
      `window ${WINDOW_MS} ms; machine load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} (other work on these cores skews the figures)`,
  );

  const floor = await engine.ask({ t: 'codecFloor', calls: 1 }, 'codecFloor');
  const floorUs = floor.encodeUs + floor.decodeUs;
  console.log(
    `codec floor (libopus, same run): encode from 8 kHz ${fmt(floor.encodeUs)} µs + decode to 8 kHz ${fmt(floor.decodeUs)} µs = ${fmt(floorUs)} µs per call per tick`,
  );
  const { rssBytes: baselineRss } = await engine.ask({ t: 'baseline' }, 'baseline');

  console.log('\nScenario A: one call per room (PCMU phone; bridge with 1 active + 2 silent web speakers)');
  printHeader();
  const rows: Figures[] = [];
  let have = 0;
  for (const n of STEPS) {
    const ids = Array.from({ length: n - have }, (_, i) => have + i);
    await addCalls(engine, load, ids, 'A');
    have = n;
    const w = await measure(engine, load);
    const f = figures(n, w, baselineRss);
    rows.push(f);
    printRow(f);
    verbose(w);
    const broken = f.lossToBridgePct > 1 || f.lossToCallerPct > 1 || f.c2b[1] > 150 || f.b2c[1] > 150 || f.corePct > 97;
    if (broken) {
      console.log(`  stopping: N=${n} is past what one engine core sustains`);
      break;
    }
    if (f.loadPct > 90) {
      console.log(`  stopping: the load process is saturated (${fmt(f.loadPct)}% of its core); figures beyond would measure it`);
      break;
    }
  }
  const good = rows.filter((f) => f.lossToBridgePct === 0 && f.lossToCallerPct === 0 && f.c2b[1] <= 60 && f.b2c[1] <= 60);
  const best = good.at(-1);
  const last = rows.at(-1)!;
  console.log(
    best === undefined
      ? 'largest N with zero loss and p95 ≤ 60 ms: none'
      : `largest N on one core with zero loss and p95 ≤ 60 ms: ${best.n} (engine at ${fmt(best.corePct)}% of a core, ` +
          `${fmt(best.usPerCallTick)} µs per call per tick → about ${Math.floor((best.n * 100) / best.corePct)} calls at 100%)`,
  );
  const ref = best ?? last;
  await Promise.all([engine.ask({ t: 'closeAll' }, 'closed'), load.ask({ t: 'closeAll' }, 'closed')]);
  await sleep(500);
  const rotating = await engine.ask({ t: 'codecFloor', calls: ref.n }, 'codecFloor');
  const rotatingUs = rotating.encodeUs + rotating.decodeUs;
  console.log(
    `engine overhead over the codec floor at N=${ref.n}: ${fmt(ref.usPerCallTick / floorUs, 2)}× the one-call floor ` +
      `(${fmt(ref.usPerCallTick)} / ${fmt(floorUs)} µs); ${fmt(ref.usPerCallTick / rotatingUs, 2)}× the floor rotating over ` +
      `${ref.n} codec pairs (${fmt(rotating.encodeUs)} + ${fmt(rotating.decodeUs)} = ${fmt(rotatingUs)} µs)`,
  );

  if (B_CALLERS <= 0) {
    engine.exit();
    load.exit();
    return;
  }
  console.log(`\nScenario B: ${B_CALLERS} callers in one room (3 talking), 3 web speakers (1 active)`);
  await addCalls(engine, load, Array.from({ length: B_CALLERS }, (_, i) => 10_000 + i), 'B');
  const b = await measure(engine, load);
  const fb = figures(B_CALLERS, b, baselineRss);
  verbose(b);
  console.log(
    `engine: ${fmt(fb.corePct)}% of a core in total, ${fmt(fb.usPerCallTick)} µs per caller per tick; ` +
      `decodes ${fmt(b.e.decoded / (b.e.wallMs / TICK_MS), 1)}/tick, encodes ${fmt(b.e.encoded / (b.e.wallMs / TICK_MS), 1)}/tick; ` +
      `loss c→b ${fmt(fb.lossToBridgePct, 2)}%, b→c ${fmt(fb.lossToCallerPct, 2)}%; ` +
      `JVB forwards ${fmt(b.l.forwarded / (b.l.wallMs / 1000), 0)} packets/s; load ${fmt(fb.loadPct)}%; others ${fmt(fb.othersPct)}%`,
  );

  await Promise.all([engine.ask({ t: 'closeAll' }, 'closed'), load.ask({ t: 'closeAll' }, 'closed')]);
  console.log(`machine load average at the end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  engine.exit();
  load.exit();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
