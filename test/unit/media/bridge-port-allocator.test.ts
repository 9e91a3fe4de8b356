import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { PortAllocator, PortExhaustedError, type BoundUdpSocket } from '../../../src/media/port-allocator.js';

const held: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const h of held.splice(0)) await h.close();
});

function keep(b: BoundUdpSocket): BoundUdpSocket {
  held.push({ close: () => b.release() });
  return b;
}

/** A run of `count` consecutive ports that were free a moment ago. */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 30000 + Math.floor(Math.random() * 30000);
    const sockets: dgram.Socket[] = [];
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      const s = dgram.createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.bind(p, '127.0.0.1', () => resolve(true));
      });
      sockets.push(s);
    }
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

async function occupy(port: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  held.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
}

describe('PortAllocator', () => {
  it('hands out ports round-robin through the range', async () => {
    const base = await freeRange(3);
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
    const base = await freeRange(3);
    await occupy(base);
    await occupy(base + 1);
    const allocator = new PortAllocator({ min: base, max: base + 2 });
    const bound = keep(await allocator.bind('127.0.0.1'));
    expect(bound.port).toBe(base + 2);
  });

  it('reports exhaustion, and frees ports on release (idempotently)', async () => {
    const base = await freeRange(2);
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
    const base = await freeRange(4);
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

  it('rejects invalid ranges', () => {
    expect(() => new PortAllocator({ min: 20050, max: 20000 })).toThrow(RangeError);
    expect(() => new PortAllocator({ min: 0, max: 10 })).toThrow(RangeError);
    expect(() => new PortAllocator({ min: 1, max: 70000 })).toThrow(RangeError);
  });
});
