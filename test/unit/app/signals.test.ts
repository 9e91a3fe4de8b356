import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SignalHandler, type ShutdownActions } from '../../../src/app/signals.js';

function harness(drainImpl?: () => Promise<void>) {
  const source = new EventEmitter();
  const calls: string[] = [];
  let release!: () => void;
  const drained = new Promise<void>((r) => (release = r));
  const exited = new Promise<number>((resolve) => {
    const actions: ShutdownActions = {
      drain: drainImpl ?? (async () => { calls.push('drain'); await drained; }),
      stopNow: async () => { calls.push('stopNow'); },
      exit: (code) => { calls.push(`exit:${code}`); resolve(code); },
    };
    new SignalHandler(source as never, actions, () => undefined);
  });
  return { source, calls, release, exited };
}

describe('SignalHandler', () => {
  it('drains on SIGTERM and exits 0 when the drain ends', async () => {
    const h = harness();
    h.source.emit('SIGTERM');
    await Promise.resolve();
    expect(h.calls).toEqual(['drain']);
    h.release();
    expect(await h.exited).toBe(0);
    expect(h.calls).toEqual(['drain', 'exit:0']);
    expect(h.source.listenerCount('SIGTERM')).toBe(0);
  });

  it('stops at once on a second signal during the drain, exiting once', async () => {
    const h = harness();
    h.source.emit('SIGTERM');
    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(0);
    h.release();
    await new Promise((r) => setTimeout(r, 5));
    expect(h.calls).toEqual(['drain', 'stopNow', 'exit:0']);
  });

  it('stops at once on SIGINT', async () => {
    const h = harness();
    h.source.emit('SIGINT');
    expect(await h.exited).toBe(0);
    expect(h.calls).toEqual(['stopNow', 'exit:0']);
  });

  it('stops hard with exit 1 when the drain fails', async () => {
    const h = harness(async () => Promise.reject(new Error('boom')));
    h.source.emit('SIGTERM');
    expect(await h.exited).toBe(1);
  });
});
