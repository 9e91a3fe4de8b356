import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator, PortExhaustedError, type BoundUdpSocket } from '../../../src/media/port-allocator.js';
import { freeConsecutivePorts } from '../../support/free-ports.js';

const held: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const h of held.splice(0)) await h.close();
});

function keep(b: BoundUdpSocket): BoundUdpSocket {
  held.push({ close: () => b.release() });
  return b;
}

async function occupy(port: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  held.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
}

describe('PortAllocator', () => {
  it('hands out ports round-robin through the range', async () => {
    const base = await freeConsecutivePorts(3);
    const allocator = new PortAllocator({ min: base, max: base + 2 });
    const first = keep(await allocator.bind('127.0.0.1'));
    const second = await allocator.bind('127.0.0.1');
    expect([first.port, second.port]).toEqual([base, base + 1]);
    await second.release();
    // The released port is not reused first: the cursor moves on.
    const third = keep(await allocator.bind('127.0.0.1'));
    expect(third.port).toBe(base + 2);
    const fourth = keep(await allocator.bind('127.0.0.1'));
    expect(fourth.port).toBe(base + 1);
    expect(allocator.inUse).toBe(3);
  });

  it('skips ports that another process holds', async () => {
    const base = await freeConsecutivePorts(3);
    await occupy(base);
    await occupy(base + 1);
    const allocator = new PortAllocator({ min: base, max: base + 2 });
    const bound = keep(await allocator.bind('127.0.0.1'));
    expect(bound.port).toBe(base + 2);
  });

  it('reports exhaustion, and frees ports on release (idempotently)', async () => {
    const base = await freeConsecutivePorts(2);
    const allocator = new PortAllocator({ min: base, max: base + 1 });
    const a = await allocator.bind('127.0.0.1');
    const b = keep(await allocator.bind('127.0.0.1'));
    await expect(allocator.bind('127.0.0.1')).rejects.toBeInstanceOf(PortExhaustedError);
    // The call layer answers the phone with this status (setupFailureReason), never 500.
    await expect(allocator.bind('127.0.0.1')).rejects.toMatchObject({ sipStatus: 503 });
    await Promise.all([a.release(), a.release()]);
    expect(allocator.inUse).toBe(1);
    const again = keep(await allocator.bind('127.0.0.1'));
    expect(again.port).toBe(a.port);
    expect(b.socket.address().port).toBe(b.port);
  });

  it('gives concurrent callers distinct ports', async () => {
    const base = await freeConsecutivePorts(4);
    const allocator = new PortAllocator({ min: base, max: base + 3 });
    const bound = (await Promise.all([1, 2, 3, 4].map(() => allocator.bind('127.0.0.1')))).map(keep);
    expect(new Set(bound.map((b) => b.port)).size).toBe(4);
  });

  it('binds any free port in the 0-0 mode', async () => {
    const allocator = new PortAllocator({ min: 0, max: 0 });
    const a = keep(await allocator.bind('127.0.0.1'));
    const b = keep(await allocator.bind('127.0.0.1'));
    expect(a.port).toBeGreaterThan(0);
    expect(b.port).not.toBe(a.port);
    expect(a.address).toBe('127.0.0.1');
  });

  it('binds a spare port (RTCP) at the preferred port, elsewhere when that is taken, never the last free one', async () => {
    const base = await freeConsecutivePorts(4);
    const allocator = new PortAllocator({ min: base, max: base + 3 });
    const rtp = keep(await allocator.bind('127.0.0.1'));
    const spare = keep((await allocator.bindSpare('127.0.0.1', rtp.port + 1))!);
    expect(spare.port).toBe(rtp.port + 1);
    // The preferred one is held: any other, while two are free.
    const other = keep((await allocator.bindSpare('127.0.0.1', rtp.port + 1))!);
    expect(other.port).toBe(base + 2);
    // One left: it stays for a call's media.
    expect(await allocator.bindSpare('127.0.0.1', base + 3)).toBeUndefined();
    expect(allocator.inUse).toBe(3);
    keep(await allocator.bind('127.0.0.1'));
  });

  it('rejects invalid ranges', () => {
    expect(() => new PortAllocator({ min: 20050, max: 20000 })).toThrow(RangeError);
    expect(() => new PortAllocator({ min: 0, max: 10 })).toThrow(RangeError);
    expect(() => new PortAllocator({ min: 1, max: 70000 })).toThrow(RangeError);
  });
});
