/**
 * The engine side of the media benchmark: a MediaEngine and nothing else, so that
 * process.cpuUsage() measures the engine alone. Driven over IPC by bench/media.ts.
 */
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { silentLogger } from '../../src/log.js';
import { OpusCodec } from '../../src/media/codecs/opus.js';
import { MediaEngine } from '../../src/media/engine/index.js';
import { DEFAULT_BRIDGE_OPUS_FEC, DEFAULT_OPUS_COMPLEXITY } from '../../src/media/engine/media-engine.js';
import type { EngineCallMedia } from '../../src/media/engine/index.js';
import { BENCH_AUDIO, type EngineWindow, type FromEngine, type ToEngine } from './protocol.js';
import { speechLike } from './signals.js';


const engine = new MediaEngine({
  bindAddress: '127.0.0.1',
  portRange: { min: 0, max: 0 },
  timeouts: { bridgeMediaMs: 0, callerMediaMs: 0 },
  logger: silentLogger(),
});
const calls = new Map<number, EngineCallMedia>();

interface Mark {
  cpu: NodeJS.CpuUsage;
  wall: number;
  totals: Totals;
}

/** Running counters read at the start and end of a window (the window's figures are their difference). */
type Totals = Pick<
  EngineWindow,
  'ticks' | 'lateTicks' | 'skippedTicks' | 'callerLost' | 'callerReceived' | 'bridgeLost' | 'bridgeReceived' | 'decoded' | 'skippedSilent' | 'encoded'
> &
  EngineWindow['bridgeJitter'];

let mark: Mark | undefined;

/** Garbage-collection pauses in the current window (they show up as jitter and latency). */
const gcPauses: number[] = [];
/** Of which major (mark-compact) collections; the rest are scavenges of the young generation. */
const majorPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.push(entry.duration);
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorPauses.push(entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

/**
 * BENCH_PROFILE=dir: a CPU profile of each measurement window (steady state only) goes there;
 * with BENCH_PROFILE_HEAP set too, a sampling profile of what the window allocated instead.
 */
const profileDir = process.env['BENCH_PROFILE'];
const heapProfile = process.env['BENCH_PROFILE_HEAP'] !== undefined;
const inspector = profileDir === undefined ? undefined : new Session();
inspector?.connect();
let windows = 0;

function profile(action: 'start' | 'stop'): void {
  if (inspector === undefined || profileDir === undefined) return;
  if (heapProfile) {
    if (action === 'start') {
      // Sampling with every object kept (not only those still alive): the allocation rate is the point.
      inspector.post('HeapProfiler.enable', () =>
        inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }),
      );
      return;
    }
    inspector.post('HeapProfiler.stopSampling', (err, result) => {
      if (err === null) writeFileSync(join(profileDir, `engine-window-${++windows}.heapprofile`), JSON.stringify(result.profile));
    });
    return;
  }
  if (action === 'start') {
    inspector.post('Profiler.enable', () => inspector.post('Profiler.start'));
    return;
  }
  inspector.post('Profiler.stop', (err, result) => {
    if (err === null) writeFileSync(join(profileDir, `engine-window-${++windows}.cpuprofile`), JSON.stringify(result.profile));
  });
}

function send(msg: FromEngine): void {
  process.send?.(msg);
}

function totals(): Totals {
  const s = engine.stats();
  const t: Totals = {
    ticks: s.clock.ticks,
    lateTicks: s.clock.lateTicks,
    skippedTicks: s.clock.skippedTicks,
    callerLost: 0,
    callerReceived: 0,
    bridgeLost: 0,
    bridgeReceived: 0,
    decoded: s.decoded,
    skippedSilent: s.skippedSilent,
    encoded: s.encoded,
    depthMs: 0,
    targetMs: 0,
    jitterMs: 0,
  };
  let streams = 0;
  for (const call of calls.values()) {
    const st = call.stats();
    t.callerLost += st.caller.packetsLost;
    t.callerReceived += st.caller.packetsReceived;
  }
  const rooms = new Set<string>();
  for (const call of calls.values()) {
    const room = call.details().room;
    if (room === undefined || rooms.has(room)) continue;
    rooms.add(room);
    for (const st of engine.roomStats(room)?.streams ?? []) {
      t.bridgeLost += st.lost + st.late;
      t.bridgeReceived += st.received;
      if (st.skippedSilent === 0) {
        streams++;
        t.depthMs += st.depthMs;
        t.targetMs += st.targetMs;
        t.jitterMs += st.jitterMs;
      }
    }
  }
  if (streams > 0) {
    t.depthMs /= streams;
    t.targetMs /= streams;
    t.jitterMs /= streams;
  }
  return t;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) {
    g();
    g();
  }
}

/** The settings the engine encoded with before they were tuned for telephone speech. */
const REFERENCE_ENCODER = { complexity: 5, inbandFec: true };

/**
 * Same-run cost of the codec work one call needs per tick: one Opus encode from 8 kHz (with the
 * engine's settings, and with REFERENCE_ENCODER) and one decode to 8 kHz. With `calls` > 1 the
 * work rotates over that many encoder/decoder pairs, as in the engine, where each codec's state
 * is out of cache by its turn.
 */
function codecFloor(calls: number): { encodeUs: number; decodeUs: number; referenceEncodeUs: number } {
  const frames = speechLike(8000, 100);
  const payload = Buffer.alloc(1500);
  const out = new Int16Array(160);
  const timeIt = (fn: (i: number) => void): number => {
    for (let i = 0; i < 4 * calls + 200; i++) fn(i);
    const n = Math.max(2000, 20 * calls);
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn(i);
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  };
  const encodeCost = (options: { complexity: number; inbandFec: boolean }): number => {
    const encs = Array.from({ length: calls }, () => new OpusCodec({ sampleRate: 8000, ...options }));
    const us = timeIt((i) => encs[i % calls]!.encode(frames[Math.floor(i / calls) % frames.length]!, payload));
    for (const c of encs) c.close();
    return us;
  };
  const encodeUs = encodeCost({ complexity: DEFAULT_OPUS_COMPLEXITY, inbandFec: DEFAULT_BRIDGE_OPUS_FEC });
  const referenceEncodeUs = encodeCost(REFERENCE_ENCODER);
  const wide = new OpusCodec({ sampleRate: 16000 });
  const packets = speechLike(16000, 100).map((f) => Buffer.from(wide.encode(f)));
  wide.close();
  const decs = Array.from({ length: calls }, () => new OpusCodec({ sampleRate: 8000 }));
  const decodeUs = timeIt((i) => decs[i % calls]!.decode(packets[Math.floor(i / calls) % packets.length]!, out));
  for (const c of decs) c.close();
  return { encodeUs, decodeUs, referenceEncodeUs };
}

async function connect(prepared: Extract<ToEngine, { t: 'connect' }>['calls']): Promise<void> {
  const made: Array<{ id: number; call: EngineCallMedia }> = [];
  const answers = [];
  for (const p of prepared) {
    const call = await engine.createCallMedia({ callId: `bench-${p.id}` });
    calls.set(p.id, call);
    const answer = call.answerCaller(p.offer);
    const port = Number(/^m=audio (\d+) /m.exec(answer)?.[1]);
    answers.push({ id: p.id, port });
    made.push({ id: p.id, call });
  }
  send({ t: 'answered', answers });
  const results = await Promise.allSettled(
    prepared.map((p, i) => made[i]!.call.connectBridge(p.room, p.remote, BENCH_AUDIO, p.sources)),
  );
  send({ t: 'connected', ids: prepared.map((p) => p.id), failed: results.filter((r) => r.status === 'rejected').length });
}

process.on('message', (raw: unknown) => {
  const msg = raw as ToEngine;
  switch (msg.t) {
    case 'connect':
      void connect(msg.calls);
      break;
    case 'baseline':
      gc();
      send({ t: 'baseline', rssBytes: process.memoryUsage().rss });
      break;
    case 'measureStart':
      // No gc() here: a forced full collection stalls the tick loop inside the window.
      mark = { cpu: process.cpuUsage(), wall: performance.now(), totals: totals() };
      gcPauses.length = 0;
      majorPauses.length = 0;
      profile('start');
      send({ t: 'measureStarted' });
      break;
    case 'measureEnd': {
      if (mark === undefined) break;
      const cpu = process.cpuUsage(mark.cpu);
      const wallMs = performance.now() - mark.wall;
      profile('stop');
      const now = totals();
      const before = mark.totals;
      gc();
      const window: EngineWindow = {
        calls: calls.size,
        wallMs,
        cpuUs: cpu.user + cpu.system,
        systemUs: cpu.system,
        rssBytes: process.memoryUsage().rss,
        ticks: now.ticks - before.ticks,
        lateTicks: now.lateTicks - before.lateTicks,
        skippedTicks: now.skippedTicks - before.skippedTicks,
        callerLost: now.callerLost - before.callerLost,
        callerReceived: now.callerReceived - before.callerReceived,
        bridgeLost: now.bridgeLost - before.bridgeLost,
        bridgeReceived: now.bridgeReceived - before.bridgeReceived,
        decoded: now.decoded - before.decoded,
        skippedSilent: now.skippedSilent - before.skippedSilent,
        encoded: now.encoded - before.encoded,
        bridgeJitter: { depthMs: now.depthMs, targetMs: now.targetMs, jitterMs: now.jitterMs },
        gc: {
          count: gcPauses.length,
          totalMs: gcPauses.reduce((a, b) => a + b, 0),
          maxMs: Math.max(0, ...gcPauses),
          major: majorPauses.length,
          majorMaxMs: Math.max(0, ...majorPauses),
        },
      };
      send({ t: 'window', window });
      break;
    }
    case 'codecFloor':
      send({ t: 'codecFloor', ...codecFloor(msg.calls) });
      break;
    case 'exit':
      // A normal exit, so that --cpu-prof can write its profile.
      process.exit(0);
      break;
    case 'closeAll':
      void Promise.all([...calls.values()].map((c) => c.close())).then(() => {
        calls.clear();
        send({ t: 'closed' });
      });
      break;
  }
});

send({ t: 'ready' });
