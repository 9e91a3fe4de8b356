import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FrameClock } from '../../../../src/media/caller/frame-clock.js';
import { MediaTimeoutWatch } from '../../../../src/media/caller/media-timeout.js';

describe('MediaTimeoutWatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function watch(timeoutMs = 1000) {
    const events: string[] = [];
    const w = new MediaTimeoutWatch({
      timeoutMs,
      now: () => Date.now(),
      onTimeout: () => events.push('timeout'),
      onResumed: () => events.push('resumed'),
    });
    return { w, events };
  }

  it('fires once after silence and reports the resumption on the next packet', () => {
    const { w, events } = watch();
    w.arm(true);
    for (let t = 0; t < 5; t++) {
      vi.advanceTimersByTime(300);
      w.packet(Date.now());
    }
    expect(events).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['timeout']);
    vi.advanceTimersByTime(5000);
    expect(events).toEqual(['timeout']);
    w.packet(Date.now());
    expect(events).toEqual(['timeout', 'resumed']);
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(['timeout', 'resumed', 'timeout']);
    w.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not watch while disarmed (hold) and gives the full timeout after re-arming', () => {
    const { w, events } = watch();
    w.arm(true);
    vi.advanceTimersByTime(500);
    w.arm(false);
    vi.advanceTimersByTime(5000);
    expect(events).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    w.arm(true);
    vi.advanceTimersByTime(999);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['timeout']);
    w.close();
  });

  it('after a stall of the process, reads what the socket holds before judging the silence', () => {
    let stalledMs = 0;
    const events: string[] = [];
    const w = new MediaTimeoutWatch({
      timeoutMs: 1000,
      now: () => Date.now() + stalledMs,
      onTimeout: () => events.push('timeout'),
      onResumed: () => events.push('resumed'),
    });
    w.arm(true);
    vi.advanceTimersByTime(900);
    // The process sleeps 5 s (its timer fires that late); the phone went on sending meanwhile.
    stalledMs = 5000;
    vi.advanceTimersByTime(100);
    expect(events).toEqual([]);
    w.packet(Date.now() + stalledMs);
    vi.advanceTimersByTime(999);
    expect(events).toEqual([]);
    // Really silent after a stall: the verdict only waits for one turn of the event loop.
    stalledMs = 10_000;
    vi.advanceTimersByTime(1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(events).toEqual(['timeout']);
    w.close();
  });

  it('is disabled by a timeout of 0', () => {
    const { w } = watch(0);
    w.arm(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('FrameClock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks every 20 ms without drifting and stops cleanly', () => {
    const ticks: number[] = [];
    const clock = new FrameClock((now) => ticks.push(now), 20, () => Date.now());
    const t0 = Date.now();
    clock.start();
    clock.start(); // idempotent
    vi.advanceTimersByTime(1000);
    expect(ticks.length).toBeGreaterThanOrEqual(50);
    expect(ticks.length).toBeLessThanOrEqual(51);
    expect(ticks.at(-1)! - t0).toBeGreaterThanOrEqual(980);
    clock.stop();
    vi.advanceTimersByTime(100);
    expect(ticks.length).toBeLessThanOrEqual(51);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('catches up a few ticks after a stall instead of bursting', () => {
    let fakeNow = 0;
    const ticks: number[] = [];
    const clock = new FrameClock(() => ticks.push(fakeNow), 20, () => fakeNow);
    clock.start();
    vi.advanceTimersByTime(0);
    expect(ticks).toHaveLength(1);
    fakeNow = 1000; // the event loop was blocked for a second
    vi.advanceTimersByTime(20);
    expect(ticks.length).toBeLessThanOrEqual(5);
    clock.stop();
  });
});
