import { describe, expect, it } from 'vitest';
import { loadConfig, redactedConfig } from '../../../src/config/index.js';
import { configProblems, MINIMAL_ENV } from '../../support/config-problems.js';


describe('dial-in settings', () => {
  it('work out of the box: SQLite in ./data, 8-digit PINs, 90 days, a loopback listener on 8790', () => {
    const d = loadConfig({ env: MINIMAL_ENV }).dialIn;
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
        ...MINIMAL_ENV,
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
    const problems = configProblems({
      DIAL_IN_NUMBERS: 'Germany:+49',
      MAPPER_STORE: 'mongo',
      MAPPER_PIN_DIGITS: '4',
      DIALIN_LOOKUP_TOKEN: 'short',
      DIALIN_TRUSTED_PROXIES: 'nginx',
    });
    for (const name of ['DIAL_IN_NUMBERS', 'MAPPER_STORE', 'MAPPER_PIN_DIGITS', 'DIALIN_LOOKUP_TOKEN', 'DIALIN_TRUSTED_PROXIES']) {
      expect(problems.some((p) => p.startsWith(`${name}:`)), name).toBe(true);
    }
    expect(configProblems({ MAPPER_STORE: 'redis', MAPPER_REDIS_URL: 'redis://:pw@host:6379' }).join()).toContain('MAPPER_REDIS_PASSWORD');
  });
});
