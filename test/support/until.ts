const POLL_MS = 10;
/**
 * The most one poll may charge against a deadline. On a loaded machine the test process can be
 * descheduled, or its loop blocked by a collection, for longer than a whole timeout; the code under
 * test could not run during that time either, so only time the process was awake counts.
 */
const MAX_CHARGE_MS = 50;

/** A timeout budget spent only while the event loop keeps turning. */
export class AwakeDeadline {
  #spentMs = 0;
  #last = performance.now();

  constructor(readonly timeoutMs: number) {}

  /** Charges the time since the previous call (capped per call); true once the budget is gone. */
  expired(): boolean {
    const now = performance.now();
    this.#spentMs += Math.min(now - this.#last, MAX_CHARGE_MS);
    this.#last = now;
    return this.#spentMs > this.timeoutMs;
  }
}

/** Polls `cond` every 10 ms until it holds; rejects after `timeoutMs` of awake time naming what it waited for. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  await pollUntil(cond, timeoutMs, () => `timed out waiting for ${what}`);
}

/** As until(), with the caller's own failure message. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, timeoutMs: number, failure: () => string): Promise<void> {
  const deadline = new AwakeDeadline(timeoutMs);
  while (!(await cond())) {
    if (deadline.expired()) throw new Error(failure());
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
