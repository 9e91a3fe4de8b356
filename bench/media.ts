/**
 * Media engine benchmark: `npm run bench:media`. Prints figures; asserts nothing.
 *
 * Three processes: this orchestrator (idle while measuring), the ENGINE (bench/media/
 * engine-process.ts: a MediaEngine only, so process.cpuUsage() there is the engine's cost) and the
 * LOAD (bench/media/load-process.ts: fake phones with G.711 RTP and fake bridges with ICE, DTLS,
 * SRTP and Opus). On Linux each is pinned to its own core with taskset when available.
 *
 * Scenario A (the worst case): N calls, each its own room: a phone sending and receiving PCMU
 * 20 ms, and a bridge with three web speakers (one active, two silent sending level-127 frames).
 * N grows until something breaks. Every phone in A talks all the time (a loud burst, then a
 * quieter tone that the gateway's VAD still calls speech), so the Opus encoder runs every tick.
 * Scenario B (a town hall): BENCH_B_CALLERS (default 100) phone callers in one room, each hearing
 * the others and the web speakers; three callers talk, the rest send near-silence (about
 * -60 dBov), which the gateway sends on as level-127 silence frames without encoding; three web
 * speakers, one talking. The fake JVB forwards every caller's audio to the other callers'
 * transports unless its level is 127, and drops the silent web speakers' frames, as the JVB does.
 * Scenario C (a meeting): N calls, each its own room; each phone talks one second in five (20% of
 * the time, the talkers spread over time); three web speakers take turns, one talking at a time
 * (the JVB forwards only the one talking). N grows as in A.
 *
 * Latency method: every call's audio repeats a one-second cycle starting with a 100 ms loud burst.
 * The sender notes when it sent the burst's first packet; the receiver notes when the first loud
 * packet arrives (RFC 6464 level toward the bridge, which the gateway computes from the PCM it
 * decoded; PCM energy toward the phone). Both clocks are the load process' performance.now(), so
 * the difference is the one-way delay through the gateway (its jitter buffers, tick alignment,
 * codecs, SRTP) plus loopback. Loss is counted at the receivers by RTP timestamp toward the
 * phones and by sequence number toward the bridge (where silence goes out as Opus DTX does, one
 * frame in twenty) plus the ticks missing between consecutive speech packets, so ticks the engine
 * skipped count as loss too; and by the engine's jitter buffers on its inputs.
 *
 * Columns: µs of engine CPU per call per 20 ms tick, the engine's share of one core and how much
 * of it was spent in the kernel (sockets), frames lost toward the bridge and toward the caller,
 * one-way latency through the gateway, engine RSS growth per call, the load process' share of its
 * core, and what other processes on the machine used meanwhile (% of one core): the cores are
 * shared, and others' work skews the figures.
 *
 * Environment: BENCH_SCENARIOS (default "A,B,C"), BENCH_STEPS (N for A, e.g. "10,20,40"),
 * BENCH_C_STEPS (N for C), BENCH_B_CALLERS (default 100), BENCH_SETTLE_MS (default 5000),
 * BENCH_WINDOW_MS (default 8000), BENCH_VERBOSE (where loss and latency come from), BENCH_NICE
 * (run the engine and load processes at that niceness, e.g. -10 as root, so that other work on a
 * shared machine preempts them less; the others% column still shows what that work used),
 * BENCH_PROFILE (a directory: the engine process writes a CPU profile of each measurement window
 * there, for Chrome DevTools).
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FromEngine, FromLoad, PreparedCall, Scenario, ToEngine, ToLoad } from './media/protocol.js';
import { broken, figures, printHeader, printRow, verbose, withinBudget, type Figures, type Window } from './media/report.js';
import { fmt, pct } from './media/stats.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const steps = (v: string): number[] => v.split(',').map(Number);
const SCENARIOS = new Set((process.env['BENCH_SCENARIOS'] ?? 'A,B,C').split(',').map((s) => s.trim().toUpperCase()));
const STEPS = steps(process.env['BENCH_STEPS'] ?? '10,20,40,60,80,100,120,140,160');
const C_STEPS = steps(process.env['BENCH_C_STEPS'] ?? '50,100,150,200,250,300,350,400');
// Long enough for jitter buffers to give back the spikes that setting up the next calls causes.
const SETTLE_MS = Number(process.env['BENCH_SETTLE_MS'] ?? 5000);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 8000);
const B_CALLERS = Number(process.env['BENCH_B_CALLERS'] ?? 100);
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

/** BENCH_NICE (e.g. -10): the engine and load processes run at that niceness (needs root). */
const NICE = process.env['BENCH_NICE'];

function pin(pid: number | undefined, cpu: number): string {
  if (pid === undefined) return 'not pinned';
  let niced = '';
  if (NICE !== undefined) {
    try {
      execFileSync('renice', ['-n', NICE, '-p', String(pid)], { stdio: 'ignore' });
      niced = ` at nice ${NICE}`;
    } catch {
      niced = ' (renice refused)';
    }
  }
  try {
    execFileSync('taskset', ['-cp', String(cpu), String(pid)], { stdio: 'ignore' });
    return `cpu ${cpu}${niced}`;
  } catch {
    return `not pinned (no taskset)${niced}`;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function addCalls(engine: Engine, load: Load, ids: number[], scenario: Scenario): Promise<void> {
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

async function main(): Promise<void> {
  // BENCH_WORKERS=N: the engine side is the gateway's pool of N media worker threads, unpinned.
  const workers = process.env['BENCH_WORKERS'];
  const engine: Engine = new Child(workers === undefined ? './media/engine-process.ts' : './media/pool-process.ts', ['--expose-gc'], 'engine');
  const load: Load = new Child('./media/load-process.ts', [], 'load');
  await Promise.all([engine.next('ready'), load.next('ready')]);
  console.log(
    `media engine benchmark: engine ${workers === undefined ? pin(engine.pid, 0) : `in ${workers} worker threads, not pinned`}, load ${pin(load.pid, 1)}; settle ${SETTLE_MS} ms, ` +
      `window ${WINDOW_MS} ms; machine load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} (other work on these cores skews the figures)`,
  );

  const floor = await engine.ask({ t: 'codecFloor', calls: 1 }, 'codecFloor');
  const floorUs = floor.encodeUs + floor.decodeUs;
  const referenceUs = floor.referenceEncodeUs + floor.decodeUs;
  console.log(
    `codec floor (libopus, same run): encode from 8 kHz ${fmt(floor.encodeUs)} µs + decode to 8 kHz ${fmt(floor.decodeUs)} µs = ` +
      `${fmt(floorUs)} µs per call per tick with the engine's encoder settings; ${fmt(referenceUs)} µs with the former ` +
      `(complexity 5, FEC: encode ${fmt(floor.referenceEncodeUs)} µs)`,
  );
  const { rssBytes: baselineRss } = await engine.ask({ t: 'baseline' }, 'baseline');

  const idBase = { A: 0, B: 10_000, C: 20_000 } as const;
  if (SCENARIOS.has('A')) {
    console.log('\nScenario A: one call per room, the phone talks all the time (PCMU phone; bridge with 1 active + 2 silent web speakers)');
    const ref = await growCalls(engine, load, 'A', STEPS, idBase.A, baselineRss);
    await closeAll(engine, load);
    if (ref !== undefined) {
      const rotating = await engine.ask({ t: 'codecFloor', calls: ref.n }, 'codecFloor');
      const rotatingUs = rotating.encodeUs + rotating.decodeUs;
      console.log(
        `engine CPU over the codec floor at N=${ref.n}: ${fmt(ref.usPerCallTick / floorUs, 2)}× the one-call floor ` +
          `(${fmt(ref.usPerCallTick)} / ${fmt(floorUs)} µs); ${fmt(ref.usPerCallTick / rotatingUs, 2)}× the floor rotating over ` +
          `${ref.n} codec pairs (${fmt(rotating.encodeUs)} + ${fmt(rotating.decodeUs)} = ${fmt(rotatingUs)} µs); ` +
          `${fmt(ref.usPerCallTick / referenceUs, 2)}× the one-call floor with the former encoder settings (${fmt(referenceUs)} µs)`,
      );
    }
  }
  if (SCENARIOS.has('C')) {
    console.log('\nScenario C: one call per room, a meeting (each phone talks 20% of the time; 3 web speakers take turns, one at a time)');
    await growCalls(engine, load, 'C', C_STEPS, idBase.C, baselineRss);
    await closeAll(engine, load);
  }
  if (SCENARIOS.has('B') && B_CALLERS > 0) {
    console.log(`\nScenario B: a town hall, ${B_CALLERS} phone callers in one room (3 talking), 3 web speakers (1 talking)`);
    await addCalls(engine, load, Array.from({ length: B_CALLERS }, (_, i) => idBase.B + i), 'B');
    const b = await measure(engine, load);
    const fb = figures(B_CALLERS, b, baselineRss);
    printHeader();
    printRow(fb);
    verbose(b);
    console.log(
      `engine: ${fmt(fb.corePct)}% of a core for the whole room, ${fmt(fb.usPerCallTick)} µs per caller per tick; ` +
        `decodes ${fmt(b.e.decoded / (b.e.wallMs / TICK_MS), 1)}/tick, encodes ${fmt(b.e.encoded / (b.e.wallMs / TICK_MS), 1)}/tick; ` +
        `JVB forwards ${fmt(b.l.forwarded / (b.l.wallMs / 1000), 0)} packets/s`,
    );
    await closeAll(engine, load);
  }
  console.log(`machine load average at the end: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  engine.exit();
  load.exit();
}

async function closeAll(engine: Engine, load: Load): Promise<void> {
  await Promise.all([engine.ask({ t: 'closeAll' }, 'closed'), load.ask({ t: 'closeAll' }, 'closed')]);
  await sleep(500);
}

/**
 * Adds calls step by step and measures each step until one breaks; prints the largest N within
 * the budget (zero loss, p95 ≤ 60 ms) and returns its figures (else the last step's).
 */
async function growCalls(engine: Engine, load: Load, scenario: Scenario, ns: number[], idBase: number, baselineRss: number): Promise<Figures | undefined> {
  printHeader();
  const rows: Figures[] = [];
  let have = 0;
  for (const n of ns) {
    const ids = Array.from({ length: n - have }, (_, i) => idBase + have + i);
    await addCalls(engine, load, ids, scenario);
    have = n;
    const w = await measure(engine, load);
    const f = figures(n, w, baselineRss);
    rows.push(f);
    printRow(f);
    verbose(w);
    if (broken(f)) {
      console.log(`  stopping: N=${n} is past what one engine core sustains`);
      break;
    }
    if (f.loadPct > 90) {
      console.log(`  stopping: the load process is saturated (${fmt(f.loadPct)}% of its core); figures beyond would measure it`);
      break;
    }
  }
  const best = rows.filter(withinBudget).at(-1);
  console.log(
    best === undefined
      ? `scenario ${scenario}: largest N with zero loss and p95 ≤ 60 ms: none`
      : `scenario ${scenario}: largest N on one core with zero loss and p95 ≤ 60 ms: ${best.n} (engine at ${fmt(best.corePct)}% of a core, ` +
          `${fmt(best.usPerCallTick)} µs per call per tick → about ${Math.floor((best.n * 100) / best.corePct)} calls at 100%)`,
  );
  return best ?? rows.at(-1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
