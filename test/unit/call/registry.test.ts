import { describe, expect, it, vi } from 'vitest';
import { CallRegistry, type CloseReason, type RegisteredCall } from '../../../src/call/registry.js';

function fakeCall(id: string, roomJid: string | undefined, remoteParticipants: number): RegisteredCall & { closedWith: CloseReason[] } {
  const closedWith: CloseReason[] = [];
  return { id, roomJid, remoteParticipants, closedWith, close: async (r) => void closedWith.push(r) };
}

describe('CallRegistry', () => {
  it('counts conferences, participants and stress like the brewery expects', () => {
    const r = new CallRegistry(4);
    r.add(fakeCall('a', 'r1@muc', 3));
    r.add(fakeCall('b', 'r1@muc', 3));
    r.add(fakeCall('c', 'r2@muc', 1));
    r.add(fakeCall('d', undefined, 0));
    expect(r.stats()).toMatchObject({ conferences: 2, participants: 7, calls: 4, stressLevel: 1, gracefulShutdown: false, conferenceSizes: [2, 4] });
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
});
