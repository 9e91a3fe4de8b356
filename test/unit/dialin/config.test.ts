import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from '../../../src/config/index.js';

const base = { JIGASI_XMPP_PASSWORD: 'xmpp-secret' };

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ env: { ...base, ...env } });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('dial-in settings', () => {
  it('work out of the box: SQLite in ./data, 8-digit PINs, 90 days, a loopback listener on 8790', () => {
    const d = loadConfig({ env: base }).dialIn;
    expect(d).toMatchObject({
      numbers: [],
      numbersFormat: 'array',
      store: { kind: 'sqlite', dataDir: 'data' },
      pinDigits: 8,
      ttlMs: 90 * 86_400_000,
      host: '127.0.0.1',
      port: 8790,
      corsOrigins: ['*'],
      rateLimit: { perSecond: 5, burst: 30 },
      lookupSecret: undefined,
    });
  });

  it('reads numbers, Redis and the lookup token, and keeps secrets out of the logged config', () => {
    const c = loadConfig({
      env: {
        ...base,
        DIAL_IN_NUMBERS: 'DE:+49 30 1234567',
        MAPPER_STORE: 'redis',
        MAPPER_REDIS_URL: 'redis://redis.internal:6379/2',
        MAPPER_REDIS_PASSWORD: 'redis-secret',
        DIALIN_LOOKUP_TOKEN: 'a-long-enough-token',
      },
    });
    expect(c.dialIn.numbers).toEqual([{ countryCode: 'DE', formattedNumber: '+49 30 1234567', tollFree: false }]);
    expect(c.dialIn.store).toEqual({ kind: 'redis', url: 'redis://redis.internal:6379/2', password: 'redis-secret' });
    const logged = JSON.stringify(redactedConfig(c));
    expect(logged).not.toContain('redis-secret');
    expect(logged).not.toContain('a-long-enough-token');
  });

  it('lists every bad dial-in setting at once', () => {
    const problems = problemsOf({
      DIAL_IN_NUMBERS: 'Germany:+49',
      MAPPER_STORE: 'mongo',
      MAPPER_PIN_DIGITS: '4',
      DIALIN_LOOKUP_TOKEN: 'short',
      DIALIN_TRUSTED_PROXIES: 'nginx',
    });
    for (const name of ['DIAL_IN_NUMBERS', 'MAPPER_STORE', 'MAPPER_PIN_DIGITS', 'DIALIN_LOOKUP_TOKEN', 'DIALIN_TRUSTED_PROXIES']) {
      expect(problems.some((p) => p.startsWith(`${name}:`)), name).toBe(true);
    }
    expect(problemsOf({ MAPPER_STORE: 'redis', MAPPER_REDIS_URL: 'redis://:pw@host:6379' }).join()).toContain('MAPPER_REDIS_PASSWORD');
  });
});
