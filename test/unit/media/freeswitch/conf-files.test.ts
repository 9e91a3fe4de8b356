import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIELDS } from '../../../../src/config/index.js';
import { Parser } from '@xmpp/xml';
import { CONF } from '../../../support/freeswitch.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const all = files(CONF).filter((f) => f.endsWith('.xml'));
const text = (f: string): string => readFileSync(f, 'utf8');
const vars = text(join(CONF, 'vars.xml'));
/** Variables vars.xml sets, with their defaults. */
const defaults = new Map([...vars.matchAll(/cmd="set" data="([a-z_0-9]+)=([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
/** Variable → the environment variable that overrides it. */
const fromEnv = new Map([...vars.matchAll(/cmd="env-set" data="([a-z_0-9]+)=\$([A-Z_0-9]+)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
const fieldDefault = (name: string): string | undefined => FIELDS.find((f) => f.name === name)?.default;

describe('freeswitch/conf', () => {
  it('is in the layout FreeSWITCH reads with -conf, every file balanced XML', () => {
    expect(all.map((f) => relative(CONF, f)).sort()).toEqual(
      expect.arrayContaining(['freeswitch.xml', 'vars.xml', 'autoload_configs/modules.conf.xml', 'autoload_configs/sofia.conf.xml', 'autoload_configs/event_socket.conf.xml', 'autoload_configs/acl.conf.xml', 'dialplan/mrf.xml', 'sip_profiles/drachtio_mrf.xml']),
    );
    for (const f of all) {
      const parser = new Parser();
      const errors: Error[] = [];
      parser.on('error', (err: Error) => errors.push(err));
      parser.end(text(f));
      expect(errors, relative(CONF, f)).toEqual([]);
    }
  });

  it('uses only variables vars.xml sets (or FreeSWITCH itself), each settable from the environment', () => {
    for (const f of all) {
      for (const m of text(f).matchAll(/\$\$\{([a-z_0-9]+)\}/g)) {
        const name = m[1] ?? '';
        if (name === 'local_ip_v4') continue;
        expect(defaults.has(name), `${relative(CONF, f)} uses $\${${name}}`).toBe(true);
      }
    }
    for (const name of defaults.keys()) expect(fromEnv.get(name), `${name} has no env-set`).toMatch(/^FREESWITCH_/);
  });

  it("agrees with the gateway's own defaults: profile, event socket port and password", () => {
    expect(text(join(CONF, 'sip_profiles', 'drachtio_mrf.xml'))).toContain(`<profile name="${fieldDefault('FREESWITCH_PROFILE') ?? '?'}">`);
    expect(fromEnv.get('esl_port')).toBe('FREESWITCH_PORT');
    expect(defaults.get('esl_port')).toBe(fieldDefault('FREESWITCH_PORT'));
    expect(fromEnv.get('esl_password')).toBe('FREESWITCH_SECRET');
    expect(defaults.get('esl_password')).toBe(fieldDefault('FREESWITCH_SECRET'));
  });

  it('documents every environment variable it reads in freeswitch/README.md', () => {
    const readme = readFileSync(join(CONF, '..', 'README.md'), 'utf8');
    for (const env of fromEnv.values()) expect(readme, env).toContain(`\`${env}\``);
  });
});
