/**
 * The PIN lifecycle of the built-in conference mapper, over both stores: the SQLite file and a
 * real redis-server. Stable and unique allocation (also under 1,000 concurrent first requests),
 * a restart of the embedded store, two processes sharing one store, expiry by an injected clock.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, redisAvailable } from '../../support/redis.js';
import { DAY_MS, MUC, openMapper, type StoreSpec } from './support/mappers.js';

const redisHere = redisAvailable();
if (!redisHere) console.log('skipped: redis-server not available');

const HERE = dirname(fileURLToPath(import.meta.url));
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pin-store-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * Starts mapper-process.ts as a second process on the same store; `go()` (once it has opened
 * the store) lets it ask, and `result` is what it answered.
 */
async function otherProcess(store: StoreSpec, meetings: string[], pins: string[]): Promise<{ go: () => void; result: Promise<{ allocated: string[]; resolved: Array<string | null> }> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'support', 'mapper-process.ts'), JSON.stringify({ store, meetings, pins })], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    void exited.then((code) => reject(new Error(`mapper process exited ${code} before it was ready: ${err}`)));
  });
  const result = exited.then((code) => {
    if (code !== 0) throw new Error(`mapper process exited ${code}: ${err}`);
    return JSON.parse(out.slice('ready\n'.length)) as { allocated: string[]; resolved: Array<string | null> };
  });
  return { go: () => child.stdin.end('go\n'), result };
}

let redis: RedisServer | undefined;
beforeAll(async () => {
  if (redisHere) redis = await RedisServer.start();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
});

const stores: Array<[string, boolean, () => StoreSpec]> = [
  ['SQLite file', true, () => ({ kind: 'sqlite', dir: tempDir() })],
  ['Redis', redisHere, () => ({ kind: 'redis', url: redis?.url ?? '' })],
];

let seq = 0;
/** Meeting names no other test uses (the Redis server is shared by the file). */
const meeting = (label: string): string => `${label}-${process.pid}-${++seq}@${MUC}`;

describe.each(stores)('PIN lifecycle with the %s store', (_name, available, spec) => {
  it.skipIf(!available)('gives a meeting one PIN, the same every time, and resolves it back', async () => {
    const m = await openMapper(spec());
    try {
      const room = meeting('standup');
      const first = await m.pinFor(room);
      expect(first.pin).toMatch(/^[1-9]\d{7}$/);
      expect(first.conference).toBe(room);
      for (let i = 0; i < 5; i++) expect((await m.pinFor(room)).pin).toBe(first.pin);
      // The same meeting written differently is the same meeting.
      const [node] = room.split('@');
      expect((await m.pinFor(`${node?.toUpperCase()}@MUC.meet.jitsi`)).pin).toBe(first.pin);
      expect((await m.pinFor(node ?? '')).pin).toBe(first.pin);
      expect(await m.roomForPin(first.pin)).toBe(room);
      expect((await m.pinFor(meeting('other'))).pin).not.toBe(first.pin);
      expect(await m.roomForPin('1')).toBeUndefined();
    } finally {
      await m.close();
    }
  });

  it.skipIf(!available)('stays unique under 1,000 concurrent first requests for different meetings, 6-digit PINs', async () => {
    // 1,000 of 900,000 six-digit PINs: by the birthday bound about half a collision is expected
    // per run, so the retry path runs often; the forced-collision test below makes sure of it.
    const m = await openMapper(spec(), { pinDigits: 6 });
    try {
      const rooms = Array.from({ length: 1000 }, () => meeting('busy'));
      const pins = (await Promise.all(rooms.map((r) => m.pinFor(r)))).map((a) => a.pin);
      expect(new Set(pins).size).toBe(1000);
      for (const p of pins) expect(p).toMatch(/^[1-9]\d{5}$/);
      const back = await Promise.all(pins.map((p) => m.roomForPin(p)));
      expect(back).toEqual(rooms);
    } finally {
      await m.close();
    }
  }, 60_000);

  it.skipIf(!available)('answers concurrent first requests for one meeting with one PIN', async () => {
    const m = await openMapper(spec());
    try {
      const room = meeting('rush');
      const pins = new Set((await Promise.all(Array.from({ length: 50 }, () => m.pinFor(room)))).map((a) => a.pin));
      expect(pins.size).toBe(1);
    } finally {
      await m.close();
    }
  });

  it.skipIf(!available)('never gives a living PIN to a second meeting: a colliding candidate is replaced', async () => {
    const s = spec();
    const held = await openMapper(s, { candidate: () => '55555555' });
    const a = await held.pinFor(meeting('holder'));
    await held.close();
    expect(a.pin).toBe('55555555');
    const queue = ['55555555', '55555555', '66666666'];
    const m = await openMapper(s, { candidate: () => queue.shift() ?? '77777777' });
    try {
      const b = await m.pinFor(meeting('newcomer'));
      expect(b.pin).toBe('66666666');
      expect(queue).toEqual([]);
      expect(await m.roomForPin('55555555')).toBe(a.conference);
    } finally {
      await m.close();
    }
  });

  it.skipIf(!available)('forgets a PIN nobody used for MAPPER_TTL_DAYS, and only then', async () => {
    let now = Date.UTC(2026, 0, 1);
    const ttlMs = 30 * DAY_MS;
    const s = spec();
    const m = await openMapper(s, { ttlMs, now: () => now, candidate: () => '44444444' });
    try {
      const room = meeting('weekly');
      const { pin } = await m.pinFor(room);
      // Used by a caller just before the TTL: that use keeps it another TTL.
      now += ttlMs - 1;
      expect(await m.roomForPin(pin)).toBe(room);
      now += ttlMs - 1;
      expect((await m.pinFor(room)).pin).toBe(pin);
      // Then nobody for longer than the TTL: gone for the phone and for the web.
      now += ttlMs + 1;
      expect(await m.roomForPin(pin)).toBeUndefined();
      // Its PIN may now start a new life with another meeting.
      const next = meeting('next');
      expect((await m.pinFor(next)).pin).toBe(pin);
      expect(await m.roomForPin(pin)).toBe(next);
    } finally {
      await m.close();
    }
  });

  it.skipIf(!available)('is shared by two processes: both answer the same PIN per meeting, and each resolves the other’s', async () => {
    const s = spec();
    const rooms = Array.from({ length: 40 }, () => meeting('shared'));
    const here = await openMapper(s);
    try {
      const early = await here.pinFor(rooms[0] ?? '');
      const proc = await otherProcess(s, rooms, [early.pin]);
      // Both processes ask for every meeting at the same moment.
      proc.go();
      const mine = await Promise.all(rooms.map(async (r) => (await here.pinFor(r)).pin));
      const other = await proc.result;
      expect(other.allocated).toEqual(mine);
      expect(new Set(mine).size).toBe(rooms.length);
      expect(other.resolved).toEqual([rooms[0]]);
    } finally {
      await here.close();
    }
  }, 60_000);
});

describe('the embedded store across a restart', () => {
  it('keeps every mapping in its file', async () => {
    const s: StoreSpec = { kind: 'sqlite', dir: tempDir() };
    const rooms = [meeting('a'), meeting('b'), meeting('c')];
    const before = await openMapper(s);
    const pins = await Promise.all(rooms.map(async (r) => (await before.pinFor(r)).pin));
    await before.close();

    const after = await openMapper(s);
    try {
      for (const [i, r] of rooms.entries()) {
        expect((await after.pinFor(r)).pin).toBe(pins[i]);
        expect(await after.roomForPin(pins[i] ?? '')).toBe(r);
      }
    } finally {
      await after.close();
    }
  });
});
