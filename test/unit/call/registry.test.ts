import { describe, expect, it, vi } from 'vitest';
import { CallRegistry, ORPHAN_REASON, type CloseReason, type RegisteredCall } from '../../../src/call/registry.js';
import { idleSnapshot } from '../../support/call-snapshot-fake.js';

function fakeCall(id: string, roomJid: string | undefined, occupants: number | string[]): RegisteredCall & { closedWith: CloseReason[]; orphaned: boolean } {
  const closedWith: CloseReason[] = [];
  const roomOccupants = Array.isArray(occupants) ? occupants : Array.from({ length: occupants }, (_, i) => `${id}-${i}`);
  return { id, roomJid, roomOccupants, orphaned: false, closedWith, snapshot: () => idleSnapshot(id), close: async (r) => void closedWith.push(r) };
}

describe('CallRegistry', () => {
  it('counts conferences, participants and stress like the brewery expects', () => {
    const r = new CallRegistry(4);
    // Two of our callers share r1 with two web users; each call sees all four (itself included).
    r.add(fakeCall('a', 'r1@muc', ['a', 'b', 'web1', 'web2']));
    r.add(fakeCall('b', 'R1@muc', ['b', 'a', 'web1', 'web2']));
    r.add(fakeCall('c', 'r2@muc', ['c']));
    r.add(fakeCall('d', undefined, []));
    expect(r.stats()).toMatchObject({ conferences: 2, participants: 5, calls: 4, stressLevel: 1, gracefulShutdown: false, conferenceSizes: [1, 4] });
  });

  it('counts three callers of one room as three participants, whatever each call has seen so far', () => {
    const r = new CallRegistry(10);
    // The third is still joining: it is not in the room yet, but the others already see it.
    r.add(fakeCall('a', 'r@muc', ['a', 'b']));
    r.add(fakeCall('b', 'r@muc', ['a', 'b', 'c']));
    r.add(fakeCall('c', 'r@muc', []));
    expect(r.stats()).toMatchObject({ conferences: 1, participants: 3, conferenceSizes: [3] });
  });

  it('refuses calls beyond capacity and while draining, with 503', () => {
    const r = new CallRegistry(1);
    expect(r.admission()).toEqual({ refused: false });
    r.add(fakeCall('a', 'r@muc', 1));
    expect(r.admission()).toEqual({ refused: true, status: 503, reason: 'capacity' });
    r.remove('a', 'normal');
    r.startDrain();
    expect(r.admission()).toEqual({ refused: true, status: 503, reason: 'draining' });
  });

  it('announces changes and the end of a drain', () => {
    const r = new CallRegistry(5);
    const changed = vi.fn();
    const drained = vi.fn();
    r.on('changed', changed);
    r.on('drained', drained);
    r.add(fakeCall('a', 'r@muc', 1));
    r.startDrain();
    expect(drained).not.toHaveBeenCalled();
    r.remove('a', 'caller_error');
    expect(drained).toHaveBeenCalledTimes(1);
    expect(changed).toHaveBeenCalledTimes(3);
    expect(r.stats()).toMatchObject({ totalCalls: 1, totalCompleted: 0, totalFailed: 1, gracefulShutdown: true });
  });

  it('closes every call with the given reason', async () => {
    const r = new CallRegistry(5);
    const a = fakeCall('a', 'r@muc', 1);
    const b = fakeCall('b', 'r@muc', 1);
    r.add(a);
    r.add(b);
    await r.closeAll({ cls: 'upstream_error', cause: 'xmpp-lost' });
    expect(a.closedWith).toEqual([{ cls: 'upstream_error', cause: 'xmpp-lost' }]);
    expect(b.closedWith).toHaveLength(1);
    expect(() => r.add(a)).toThrow(/already/);
  });

  it('reaps calls whose SIP leg is gone, once, and leaves the others alone', () => {
    const r = new CallRegistry(4);
    const healthy = fakeCall('a', 'r1@muc', 1);
    const ghost = fakeCall('b', 'r1@muc', 1);
    r.add(healthy);
    r.add(ghost);
    const reaped: string[] = [];
    r.on('reaped', (c) => reaped.push(c.id));
    expect(r.reapOrphans()).toBe(0);
    ghost.orphaned = true;
    expect(r.reapOrphans()).toBe(1);
    expect(reaped).toEqual(['b']);
    expect(ghost.closedWith).toEqual([ORPHAN_REASON]);
    expect(healthy.closedWith).toEqual([]);
  });

  it('sweeps for orphans on its own once the reaper runs', async () => {
    vi.useFakeTimers();
    try {
      const r = new CallRegistry(4);
      const ghost = fakeCall('g', undefined, 0);
      r.add(ghost);
      r.startReaper(1000);
      ghost.orphaned = true;
      await vi.advanceTimersByTimeAsync(999);
      expect(ghost.closedWith).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(ghost.closedWith).toEqual([ORPHAN_REASON]);
      r.stopReaper();
    } finally {
      vi.useRealTimers();
    }
  });
});
