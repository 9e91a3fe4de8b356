/** The media benchmark's figures per window, and how they are printed. */
import type { EngineWindow, LoadWindow } from './protocol.js';
import { fmt, pct, percentile, row } from './stats.js';

const TICK_MS = 20;

export interface Window {
  e: EngineWindow;
  l: LoadWindow;
  /** CPU used by everything else on the machine during the window, % of one core. */
  othersPct: number;
}

export interface Figures {
  n: number;
  usPerCallTick: number;
  corePct: number;
  /** Share of the engine's CPU spent in the kernel. */
  kernelPct: number;
  lossToBridgePct: number;
  lossToCallerPct: number;
  c2b: [number, number];
  b2c: [number, number];
  rssPerCallMb: number;
  loadPct: number;
  othersPct: number;
}

export function figures(n: number, { e, l, othersPct }: Window, baselineRss: number): Figures {
  const ticks = e.wallMs / TICK_MS;
  // The jitter buffers take back frames declared missing on speculation once their packets turn
  // up; a window that begins between the two sees only the take-back, a negative count.
  const toBridgeMissing = Math.max(0, l.toBridgesExpected - l.toBridgesReceived) + Math.max(0, e.callerLost);
  const toCallerMissing = Math.max(0, l.toPhonesExpected - l.toPhonesReceived) + Math.max(0, e.bridgeLost);
  return {
    n,
    usPerCallTick: e.cpuUs / (n * ticks),
    corePct: pct(e.cpuUs / 1000, e.wallMs),
    kernelPct: pct(e.systemUs, e.cpuUs),
    lossToBridgePct: pct(toBridgeMissing, l.toBridgesExpected + e.callerReceived),
    lossToCallerPct: pct(toCallerMissing, l.toPhonesExpected + e.bridgeReceived),
    c2b: [percentile(l.callerToBridgeMs, 50), percentile(l.callerToBridgeMs, 95)],
    b2c: [percentile(l.bridgeToCallerMs, 50), percentile(l.bridgeToCallerMs, 95)],
    rssPerCallMb: (e.rssBytes - baselineRss) / n / 1048576,
    loadPct: pct(l.cpuUs / 1000, l.wallMs),
    othersPct,
  };
}

/** Zero loss both ways and p95 one-way latency within 60 ms both ways. */
export function withinBudget(f: Figures): boolean {
  return f.lossToBridgePct === 0 && f.lossToCallerPct === 0 && f.c2b[1] <= 60 && f.b2c[1] <= 60;
}

/** Past what one engine core sustains: stop growing N. */
export function broken(f: Figures): boolean {
  return f.lossToBridgePct > 1 || f.lossToCallerPct > 1 || f.c2b[1] > 150 || f.b2c[1] > 150 || f.corePct > 97;
}

/** BENCH_VERBOSE: where the loss and latency of a window come from. */
export function verbose({ e, l }: Window): void {
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
  const ticks = e.wallMs / TICK_MS;
  console.log(
    `      ticks ${e.ticks} (late ${e.lateTicks}, skipped ${e.skippedTicks}); decodes ${fmt(e.decoded / ticks, 1)}/tick, ` +
      `encodes ${fmt(e.encoded / ticks, 1)}/tick; web speaker jitter buffer depth ${fmt(e.bridgeJitter.depthMs, 0)} ms, ` +
      `target ${fmt(e.bridgeJitter.targetMs, 0)} ms, jitter ${fmt(e.bridgeJitter.jitterMs)} ms; ` +
      `GC ${e.gc.count} pauses (${e.gc.major} major, longest ${fmt(e.gc.majorMaxMs)} ms), ${fmt(e.gc.totalMs, 0)} ms in all, longest ${fmt(e.gc.maxMs)} ms`,
  );
}

const WIDTHS = [5, 9, 7, 8, 9, 9, 13, 13, 9, 7, 8];

export function printHeader(): void {
  console.log(
    row(['N', 'µs/call', 'core%', 'kernel%', 'loss c→b', 'loss b→c', 'c→b p50/p95', 'b→c p50/p95', 'MB/call', 'load%', 'others%'], WIDTHS),
  );
}

export function printRow(f: Figures): void {
  console.log(
    row(
      [
        f.n,
        fmt(f.usPerCallTick),
        fmt(f.corePct),
        fmt(f.kernelPct, 0),
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
