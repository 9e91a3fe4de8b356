import { describe, expect, it } from 'vitest';
import { AwakeDeadline, until } from '../../support/until.js';

function blockLoop(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // a descheduled process, as far as the test can tell
  }
}

describe('test polling deadlines', () => {
  it('does not spend the budget while the loop was stalled', async () => {
    let ready = false;
    setTimeout(() => {
      blockLoop(400);
      setTimeout(() => (ready = true), 30);
    }, 20);
    await until(() => ready, 200, 'ready');
    expect(ready).toBe(true);
  });

  it('still times out when the loop keeps turning', async () => {
    const t0 = performance.now();
    await expect(until(() => false, 150, 'never')).rejects.toThrow('timed out waiting for never');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('charges a long gap as one capped step', () => {
    const d = new AwakeDeadline(100);
    blockLoop(300);
    expect(d.expired()).toBe(false);
    blockLoop(60);
    expect(d.expired()).toBe(false);
    blockLoop(60);
    expect(d.expired()).toBe(true);
  });
});
