/** Built-in conference mappers over each store, for the PIN lifecycle tests (and a second process). */
import { BuiltinConferenceMapper } from '../../../../src/dialin/conference-mapper.js';
import type { PinStore } from '../../../../src/dialin/pin-store.js';
import { RedisPinStore } from '../../../../src/dialin/redis-pin-store.js';
import { SqlitePinStore } from '../../../../src/dialin/sqlite-pin-store.js';
import { silentLogger } from '../../../../src/log.js';

export const DAY_MS = 86_400_000;
export const MUC = 'muc.meet.jitsi';

export type StoreSpec = { kind: 'sqlite'; dir: string } | { kind: 'redis'; url: string };

export interface MapperOptions {
  ttlMs?: number;
  pinDigits?: number;
  now?: () => number;
  candidate?: () => string;
}

export async function openStore(spec: StoreSpec, ttlMs: number): Promise<PinStore> {
  if (spec.kind === 'sqlite') return SqlitePinStore.open(spec.dir, ttlMs);
  const store = new RedisPinStore({ url: spec.url, password: undefined, ttlMs, logger: silentLogger() });
  await store.ready();
  return store;
}

export async function openMapper(spec: StoreSpec, o: MapperOptions = {}): Promise<BuiltinConferenceMapper> {
  const ttlMs = o.ttlMs ?? 30 * DAY_MS;
  return new BuiltinConferenceMapper({
    store: await openStore(spec, ttlMs),
    pinDigits: o.pinDigits ?? 8,
    ttlMs,
    mucDomain: MUC,
    logger: silentLogger(),
    ...(o.now ? { now: o.now } : {}),
    ...(o.candidate ? { candidate: o.candidate } : {}),
  });
}
