import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineClock } from '../../../../src/media/engine/engine-clock.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let clock: EngineClock | undefined;
afterEach(() => clock?.stop());

describe('EngineClock', () => {
  it('ticks on a fixed grid: lateness does not accumulate into drift', async () => {
    const times: number[] = [];
    clock = new EngineClock();
    clock.add({ tick: (now) => times.push(now) });
    const start = performance.now();
    await sleep(1000);
    const elapsed = performance.now() - start;
    // A drifting timer (setInterval-like, ~1 ms late each time) would lose several ticks a second.
    // Slots skipped after a stall (a loaded machine) are still slots of the grid.
    const slots = times.length + clock.stats().skippedTicks;
    expect(Math.abs(slots - Math.floor(elapsed / 20))).toBeLessThanOrEqual(1);
  });

  it('skips ticks after a stall instead of bursting them', () => {
    let now = 0;
    const ran: number[] = [];
    clock = new EngineClock({ now: () => now, maxCatchUpTicks: 3 });
    const skipped: number[] = [];
    const member = { tick: (t: number) => ran.push(t), skipped: (n: number) => skipped.push(n) };
    clock.add(member);
    // The monotonic source jumps ten periods past the first due tick before the timer fires.
    now = 20 + 200;
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        // Eleven ticks were due (20 … 220): at most three periods of catch-up run, the rest are skipped.
        expect(ran.length).toBeLessThanOrEqual(4);
        expect(ran.length + clock!.stats().skippedTicks).toBe(11);
        // Members hear how many ticks they lost, to drop as many buffered input frames.
        expect(skipped).toEqual([clock!.stats().skippedTicks]);
        resolve();
      }, 40);
    });
  });

  it('keeps ticking the other members when one throws, and reports the error', async () => {
    const errors: unknown[] = [];
    let good = 0;
    clock = new EngineClock({ onError: (e) => errors.push(e) });
    clock.add({
      tick: () => {
        throw new Error('boom');
      },
    });
    clock.add({ tick: () => good++ });
    await sleep(110);
    expect(good).toBeGreaterThanOrEqual(3);
    expect(errors.length).toBe(good);
  });

  it('spreads members over the phases of the period, each ticking once per period', () => {
    // The schedule is the point, not this machine's timer precision: a busy CI machine fires real
    // timers late and bunches the slots, so time is simulated here.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const at: Record<string, number[]> = { a: [], b: [], c: [], d: [] };
      clock = new EngineClock({ phases: 4, now: () => Date.now() });
      for (const k of Object.keys(at)) clock.add({ tick: (now) => at[k]!.push(now) });
      vi.advanceTimersByTime(230);
      for (const k of Object.keys(at)) expect(at[k]!.length).toBeGreaterThanOrEqual(10);
      // Members in neighbouring slots run one slot (5 ms) apart, not together.
      expect(at['b']![3]! - at['a']![3]!).toBeCloseTo(5, 5);
      expect(at['c']![3]! - at['b']![3]!).toBeCloseTo(5, 5);
      // And each member once per 20 ms period.
      expect(at['a']![4]! - at['a']![3]!).toBeCloseTo(20, 5);
    } finally {
      clock?.stop();
      clock = undefined;
      vi.useRealTimers();
    }
  });

  it('lets a member leave from inside its own tick and stops with the last member', async () => {
    let ticks = 0;
    clock = new EngineClock();
    const member = {
      tick: () => {
        ticks++;
        clock!.remove(member);
      },
    };
    clock.add(member);
    expect(clock.running).toBe(true);
    await sleep(80);
    expect(ticks).toBe(1);
    expect(clock.running).toBe(false);
    expect(clock.memberCount).toBe(0);
  });
});
