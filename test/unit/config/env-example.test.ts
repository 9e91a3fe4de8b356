import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, FIELDS, loadConfig } from '../../../src/config/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLE = join(root, '.env.example');
const text = readFileSync(EXAMPLE, 'utf8');
const known = new Set(FIELDS.map((f) => f.name));

/** `NAME=` lines, set or commented out (`#NAME=`); prose comments are not settings. */
function settings(): Array<{ name: string; commented: boolean }> {
  return text
    .split('\n')
    .map((line) => /^(#?)([A-Z][A-Z0-9_]*)=/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ name: m[2] ?? '', commented: m[1] === '#' }));
}

describe('.env.example', () => {
  it('loads as a --config file exactly as startup loads it, asking only for the password', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ env: {}, file: EXAMPLE });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toEqual(['JIGASI_XMPP_PASSWORD: is required']);
    const config = loadConfig({ env: { JIGASI_XMPP_PASSWORD: 'x' }, file: EXAMPLE });
    expect(config.xmpp).toMatchObject({ server: 'xmpp.meet.jitsi', domain: 'meet.jitsi', authDomain: 'auth.meet.jitsi', breweryMuc: 'jigasibrewery' });
  });

  it('names only settings the gateway knows, apart from commented ones docker-compose (its TLS overlay too) or freeswitch/conf reads', () => {
    const compose = ['docker-compose.yml', 'docker-compose.tls.yml'].map((f) => readFileSync(join(root, f), 'utf8')).join('\n');
    const freeswitchVars = readFileSync(join(root, 'freeswitch', 'conf', 'vars.xml'), 'utf8');
    for (const { name, commented } of settings()) {
      if (known.has(name)) continue;
      expect(commented, `${name} is not a gateway setting and must stay commented`).toBe(true);
      const used = compose.includes(`\${${name}:-`) || freeswitchVars.includes(`=$${name}"`);
      expect(used, `${name} is read by neither docker-compose.yml nor freeswitch/conf/vars.xml`).toBe(true);
    }
  });

  it('puts the docker-jitsi-meet names first', () => {
    const names = settings().map((s) => s.name);
    expect(names.slice(0, 8)).toEqual(['XMPP_SERVER', 'XMPP_PORT', 'XMPP_DOMAIN', 'XMPP_AUTH_DOMAIN', 'XMPP_MUC_DOMAIN', 'XMPP_INTERNAL_MUC_DOMAIN', 'JIGASI_XMPP_USER', 'JIGASI_XMPP_PASSWORD']);
  });
});
