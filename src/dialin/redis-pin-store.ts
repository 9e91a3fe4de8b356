import { Redis } from 'ioredis';
import type { Logger } from '../log.js';
import { MAX_CANDIDATES, PinStoreError, type PinStore } from './pin-store.js';

/**
 * The shared PIN store: every gateway host pointed at the same Redis answers the same PIN for a
 * meeting, and any host's PIN prompt resolves any host's PIN. Each step is one Lua script, so the
 * check-then-allocate runs atomically on the server however many hosts ask at once.
 *
 * Two hashes per mapping, `c:<conference>` {pin, used} and `p:<pin>` {conf, used}. Expiry is
 * decided by `used` against the caller's clock (as in the SQLite store); Redis' own key expiry
 * (the TTL again, on its clock) only clears out what nobody asks for. The `{dialin}` hash tag
 * keeps every key in one slot, so the scripts also run on a Redis Cluster.
 */
const PREFIX = 'jsg:{dialin}:';
const CONF = `${PREFIX}c:`;
const PIN = `${PREFIX}p:`;

// KEYS: conference key, candidate PIN key. ARGV: conference, candidate, now, cutoff, ttl ms.
// Returns the PIN, or false when the candidate belongs to another living meeting.
const ALLOCATE = `
local now, cutoff, ttl = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local cur = redis.call('HMGET', KEYS[1], 'pin', 'used')
if cur[1] then
  local pk = '${PIN}' .. cur[1]
  if tonumber(cur[2]) >= cutoff then
    local used = tostring(math.max(now, tonumber(cur[2])))
    redis.call('HSET', KEYS[1], 'used', used)
    redis.call('PEXPIRE', KEYS[1], ttl)
    if redis.call('HGET', pk, 'conf') == ARGV[1] then
      redis.call('HSET', pk, 'used', used)
      redis.call('PEXPIRE', pk, ttl)
    end
    return cur[1]
  end
  if redis.call('HGET', pk, 'conf') == ARGV[1] then redis.call('DEL', pk) end
  redis.call('DEL', KEYS[1])
end
local holder = redis.call('HMGET', KEYS[2], 'conf', 'used')
if holder[1] then
  if tonumber(holder[2]) >= cutoff then return false end
  local ck = '${CONF}' .. holder[1]
  if redis.call('HGET', ck, 'pin') == ARGV[2] then redis.call('DEL', ck) end
end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'conf', ARGV[1], 'used', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('HSET', KEYS[1], 'pin', ARGV[2], 'used', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
return ARGV[2]
`;

// KEYS: PIN key. ARGV: now, cutoff, ttl ms. Returns the conference or false.
const LOOKUP = `
local now, cutoff, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local h = redis.call('HMGET', KEYS[1], 'conf', 'used')
if not h[1] or tonumber(h[2]) < cutoff then return false end
local used = tostring(math.max(now, tonumber(h[2])))
redis.call('HSET', KEYS[1], 'used', used)
redis.call('PEXPIRE', KEYS[1], ttl)
local ck = '${CONF}' .. h[1]
if redis.call('HGET', ck, 'pin') == string.sub(KEYS[1], ${PIN.length + 1}) then
  redis.call('HSET', ck, 'used', used)
  redis.call('PEXPIRE', ck, ttl)
end
return h[1]
`;

export interface RedisPinStoreOptions {
  url: string;
  password: string | undefined;
  ttlMs: number;
  logger: Logger;
  /** Bound on one command, ms: a caller at the PIN prompt must not wait on a dead Redis. */
  commandTimeoutMs?: number;
}

export class RedisPinStore implements PinStore {
  readonly #redis: Redis;
  readonly #ttlMs: number;
  #lastError = '';

  constructor(opts: RedisPinStoreOptions) {
    this.#ttlMs = opts.ttlMs;
    this.#redis = new Redis(opts.url, {
      ...(opts.password !== undefined ? { password: opts.password } : {}),
      commandTimeout: opts.commandTimeoutMs ?? 2000,
      // While Redis is away a request fails at once (503 / the error prompt) instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Reconnects forever in the background, at most every 2 s.
      retryStrategy: (times) => Math.min(times * 200, 2000),
    });
    this.#redis.on('error', (err: Error) => {
      // ioredis repeats the same error on every reconnect attempt: log each kind once.
      if (err.message === this.#lastError) return;
      this.#lastError = err.message;
      opts.logger.warn({ err: err.message }, 'PIN store: Redis unreachable');
    });
    this.#redis.on('ready', () => {
      if (this.#lastError !== '') opts.logger.info('PIN store: Redis reachable again');
      this.#lastError = '';
    });
  }

  /** Resolves once connected (tests and startup logs); requests don't need to wait for it. */
  async ready(timeoutMs = 5000): Promise<void> {
    if (this.#redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#redis.off('ready', onReady);
        reject(new PinStoreError(`Redis not ready after ${timeoutMs} ms: ${this.#lastError || this.#redis.status}`));
      }, timeoutMs);
      const onReady = (): void => {
        clearTimeout(t);
        resolve();
      };
      this.#redis.once('ready', onReady);
    });
  }

  async pinFor(conference: string, now: number, candidate: () => string): Promise<string> {
    const cutoff = now - this.#ttlMs;
    for (let i = 0; i < MAX_CANDIDATES; i++) {
      const pin = candidate();
      const got = await this.#eval(ALLOCATE, [CONF + conference, PIN + pin], [conference, pin, now, cutoff, this.#ttlMs]);
      if (typeof got === 'string') return got;
    }
    throw new PinStoreError(`no free PIN after ${MAX_CANDIDATES} tries: the PIN space is nearly full (raise MAPPER_PIN_DIGITS)`);
  }

  async conferenceFor(pin: string, now: number): Promise<string | undefined> {
    const got = await this.#eval(LOOKUP, [PIN + pin], [now, now - this.#ttlMs, this.#ttlMs]);
    return typeof got === 'string' ? got : undefined;
  }

  async sweep(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  async #eval(script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await this.#redis.eval(script, keys.length, ...keys, ...args.map(String));
    } catch (err) {
      throw new PinStoreError(`PIN store (Redis): ${(err as Error).message}`, { cause: err });
    }
  }
}
