/**
 * Hostile configuration: random env maps over the real setting names, random config files (JSON
 * and KEY=VALUE) and number-map files. loadConfig returns a config that holds its own invariants
 * or throws ConfigError listing problems; nothing else escapes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { FIELDS } from '../../src/config/fields.js';
import { parseNumberMap } from '../../src/config/number-map.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { fuzzParams, mutatedLines, nastyToken, regressionFixtures } from './fuzz-support.js';

const NAMES = FIELDS.map((f) => f.name);

const value: fc.Arbitrary<string> = fc.oneof(
  nastyToken,
  fc.constantFrom('true', 'false', 'udp', 'TLS', 'freeswitch', 'direct', '10.0.0.0/8,1.2.3.4', 'a:b,c:d', 'http://x', 'sip:a@b', '[', '(a+)+$'),
  fc.string({ maxLength: 20 }),
);

const envMap = fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NAMES) }, fc.string({ maxLength: 8 })), value, {
  maxKeys: 12,
});

const fileText: fc.Arbitrary<string> = fc.oneof(
  envMap.map((m) => JSON.stringify(m)),
  fc.dictionary(fc.constantFrom(...NAMES), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.nat()), fc.object())).map((m) =>
    JSON.stringify(m),
  ),
  envMap.map((m) =>
    Object.entries(m)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  ),
  mutatedLines(['XMPP_DOMAIN=meet.jitsi\nJIGASI_XMPP_PASSWORD="pw"\n# comment\nMAX_CALLS=10\n', '{"MAX_CALLS": 5, "XMPP_PORT": "5222"}']),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

const numberMapText: fc.Arbitrary<string> = fc.oneof(
  mutatedLines(['+1 (555) 123-0001 = standup\n# comment\n4711 = sales\n', '{"+15551230001": "standup", "4711": "sales"}']),
  fc.dictionary(fc.oneof(nastyToken, fc.string({ maxLength: 8 })), fc.oneof(fc.string(), fc.integer(), fc.constant(null))).map((m) =>
    JSON.stringify(m),
  ),
  fc.string({ unit: 'binary', maxLength: 80 }),
);

function expectConsistent(c: GatewayConfig): void {
  const port = (p: number, min = 1): void => expect(Number.isInteger(p) && p >= min && p <= 65535).toBe(true);
  port(c.xmpp.port);
  port(c.drachtio.port);
  port(c.http.port, 0);
  expect(c.media.portMin).toBeLessThanOrEqual(c.media.portMax);
  expect(c.maxCalls).toBeGreaterThanOrEqual(1);
  expect(c.dialOut.allowedNumbers).toBeInstanceOf(RegExp);
  expect(['direct', 'freeswitch']).toContain(c.media.mode);
  for (const [number, room] of Object.entries(c.sip.numberMap)) {
    expect(typeof number).toBe('string');
    expect(typeof room).toBe('string');
  }
}

/** The property: a consistent config or a ConfigError with at least one problem. */
function checkLoad(env: Record<string, string>, file: string | undefined, numberMap: string | undefined): void {
  const files: Record<string, string | undefined> = { '/cfg/gateway.env': file, '/cfg/numbers': numberMap };
  const fullEnv: Record<string, string> = {
    ...env,
    ...(file !== undefined ? { CONFIG_FILE: '/cfg/gateway.env' } : {}),
    ...(numberMap !== undefined ? { SIP_NUMBER_MAP_FILE: '/cfg/numbers' } : {}),
  };
  let config: GatewayConfig;
  try {
    config = loadConfig({
      env: fullEnv,
      readFile: (p) => {
        const text = files[p];
        if (text === undefined) throw new Error(`ENOENT: ${p}`);
        return text;
      },
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.problems.length).toBeGreaterThan(0);
    return;
  }
  expectConsistent(config);
}

describe('fuzz: configuration', () => {
  it('random env maps give a consistent config or a ConfigError', () => {
    fc.assert(
      fc.property(envMap, fc.boolean(), (env, withPassword) => {
        checkLoad(withPassword ? { JIGASI_XMPP_PASSWORD: 'pw', ...env } : env, undefined, undefined);
      }),
      fuzzParams(0xc0f001, 300),
    );
  });

  it('random config and number-map files give a consistent config or a ConfigError', () => {
    fc.assert(
      fc.property(envMap, fc.option(fileText), fc.option(numberMapText), (env, file, numbers) => {
        checkLoad({ JIGASI_XMPP_PASSWORD: 'pw', ...env }, file ?? undefined, numbers ?? undefined);
      }),
      fuzzParams(0xc0f002, 300),
    );
  });

  it('number maps map strings to strings or name the problem', () => {
    fc.assert(
      fc.property(numberMapText, (text) => {
        const parsed = parseNumberMap(text);
        if (!parsed.ok) return;
        // Own keys only: a dialled number like "constructor" must not find Object.prototype's.
        for (const [k, v] of Object.entries(parsed.value)) {
          expect(typeof k).toBe('string');
          expect(typeof v).toBe('string');
        }
      }),
      fuzzParams(0xc0f003, 300),
    );
  });

  for (const f of regressionFixtures('config')) {
    it(`regression: ${f.name}`, () => checkLoad({ JIGASI_XMPP_PASSWORD: 'pw' }, f.text, undefined));
  }
});
