import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactedConfig } from '../../../src/config/index.js';

const base = { JIGASI_XMPP_PASSWORD: 'xmpp-secret' };

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives docker-jitsi-meet defaults when only the password is set', () => {
    const c = loadConfig({ env: base });
    expect(c.xmpp).toMatchObject({
      server: 'xmpp.meet.jitsi',
      port: 5222,
      domain: 'meet.jitsi',
      authDomain: 'auth.meet.jitsi',
      mucDomain: 'muc.meet.jitsi',
      internalMucDomain: 'internal-muc.meet.jitsi',
      focusJid: 'focus.meet.jitsi',
      controlUser: 'jigasi',
      breweryMuc: 'jigasibrewery',
      callLogin: { mode: 'anonymous', domain: 'meet.jitsi' },
    });
    expect(c.sip.port).toBe(5060);
    expect(c.sip.transport).toBe('udp');
    expect(c.sip.roomHeaders).toEqual(['Jitsi-Conference-Room', 'X-Room-Name']);
    expect(c.media).toMatchObject({ mode: 'direct', portMin: 20000, portMax: 20050, address: '127.0.0.1' });
    expect(c.http).toEqual({ host: '127.0.0.1', port: 8788, enableShutdown: false });
    expect(c.drachtio).toEqual({ host: '127.0.0.1', port: 9022, secret: 'cymru' });
    expect(c.timeouts.sessionInitiateMs).toBe(30_000);
  });

  it('reads the env names operators already use', () => {
    const c = loadConfig({
      env: {
        ...base,
        XMPP_SERVER: 'prosody.internal',
        XMPP_DOMAIN: 'meet.example.com',
        JIGASI_SIP_URI: 'sip:jitsi@pbx.example.com',
        JIGASI_SIP_PASSWORD: 'sip-secret',
        JIGASI_SIP_SERVER: 'pbx.example.com',
        JIGASI_SIP_TRANSPORT: 'TLS',
        JIGASI_SIP_DEFAULT_ROOM: 'lobbyroom',
        JIGASI_PORT_MIN: '30000',
        JIGASI_PORT_MAX: '30100',
        JIGASI_LOCAL_REGION: 'eu-west',
        SIP_TRUSTED_NETWORKS: '192.0.2.0/24, 198.51.100.7',
      },
    });
    expect(c.xmpp.focusJid).toBe('focus.meet.example.com');
    expect(c.sip).toMatchObject({ uri: 'sip:jitsi@pbx.example.com', server: 'pbx.example.com', transport: 'tls', defaultRoom: 'lobbyroom' });
    expect(c.sip.trustedNetworks).toEqual(['192.0.2.0/24', '198.51.100.7/32']);
    expect(c.media).toMatchObject({ mode: 'direct', portMin: 30000, portMax: 30100 });
    expect(c.region).toBe('eu-west');
  });

  it('logs call sessions in with the gateway account when auth is on without guests', () => {
    const c = loadConfig({ env: { ...base, ENABLE_AUTH: '1' } });
    expect(c.xmpp.callLogin).toEqual({ mode: 'password', domain: 'auth.meet.jitsi', username: 'jigasi', password: 'xmpp-secret' });
    const g = loadConfig({ env: { ...base, ENABLE_AUTH: '1', ENABLE_GUESTS: '1' } });
    expect(g.xmpp.callLogin).toEqual({ mode: 'anonymous', domain: 'guest.meet.jitsi' });
  });

  it('reads the FreeSWITCH settings for MEDIA_MODE=freeswitch', () => {
    const c = loadConfig({
      env: { ...base, MEDIA_MODE: 'freeswitch', FREESWITCH_HOST: '10.0.0.7', FREESWITCH_LISTEN_PORT: '0', FREESWITCH_ADVERTISED_ADDRESS: '10.0.0.5' },
    });
    expect(c.media.mode).toBe('freeswitch');
    expect(c.freeswitch).toEqual({
      host: '10.0.0.7',
      port: 8021,
      secret: 'ClueCon',
      listenAddress: '127.0.0.1',
      listenPort: 0,
      advertisedAddress: '10.0.0.5',
      profile: 'drachtio_mrf',
      promptDir: '/usr/local/freeswitch/sounds/jitsi-sip-gateway',
    });
  });

  it('needs no account password for a trunk that is not registered at (SIP_REGISTER=false)', () => {
    const c = loadConfig({ env: { ...base, JIGASI_SIP_SERVER: 'trunk.example.com', SIP_REGISTER: 'false' } });
    expect(c.sip).toMatchObject({ server: 'trunk.example.com', register: false, password: undefined });
    expect(problemsOf(() => loadConfig({ env: { ...base, JIGASI_SIP_SERVER: 'trunk.example.com' } })).join('\n')).toContain('JIGASI_SIP_PASSWORD');
  });

  it('wants an absolute FREESWITCH_PROMPT_DIR in freeswitch mode', () => {
    expect(problemsOf(() => loadConfig({ env: { ...base, MEDIA_MODE: 'freeswitch', FREESWITCH_PROMPT_DIR: 'sounds' } }))).toEqual([
      "FREESWITCH_PROMPT_DIR: 'sounds' must be an absolute path (FreeSWITCH resolves it)",
    ]);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        env: {
          XMPP_PORT: 'abc',
          JIGASI_PORT_MIN: '30000',
          JIGASI_PORT_MAX: '20000',
          MEDIA_MODE: 'webrtc',
          JIGASI_SIP_SERVER: 'pbx.example.com',
          SIP_TRUSTED_NETWORKS: '10.0.0.0/33',
          CONFERENCE_MAPPER_URL: 'ftp://x',
          LOG_LEVEL: 'loud',
        },
      }),
    );
    const text = problems.join('\n');
    for (const name of [
      'JIGASI_XMPP_PASSWORD',
      'XMPP_PORT',
      'JIGASI_PORT_MIN',
      'MEDIA_MODE',
      'JIGASI_SIP_URI',
      'JIGASI_SIP_PASSWORD',
      'SIP_TRUSTED_NETWORKS',
      'CONFERENCE_MAPPER_URL',
      'LOG_LEVEL',
    ]) {
      expect(text).toContain(name);
    }
    expect(problems.length).toBeGreaterThanOrEqual(9);
  });

  it('merges defaults, then the file, then the env', () => {
    const files: Record<string, string> = {
      '/etc/gw.json': JSON.stringify({ XMPP_SERVER: 'from-file', XMPP_PORT: 5333, JIGASI_XMPP_PASSWORD: 'p' }),
    };
    const c = loadConfig({ env: { XMPP_PORT: '5444' }, file: '/etc/gw.json', readFile: (p) => files[p] ?? '' });
    expect(c.xmpp.server).toBe('from-file');
    expect(c.xmpp.port).toBe(5444);
  });

  it('accepts an env-style file and rejects unknown keys in it', () => {
    const text = '# gateway\nJIGASI_XMPP_PASSWORD="p"\nXMPP_DOMAIN=meet.example.org\nXMPP_DOMIAN=typo\n';
    const problems = problemsOf(() => loadConfig({ env: {}, file: 'gw.env', readFile: () => text }));
    expect(problems).toEqual(["gw.env:4: unknown setting 'XMPP_DOMIAN'"]);
  });

  it('reads the number map file in both formats', () => {
    const json = loadConfig({
      env: { ...base, SIP_NUMBER_MAP_FILE: 'm.json' },
      readFile: () => '{"+1 (555) 123-0001": "standup"}',
    });
    expect(json.sip.numberMap).toEqual({ '+15551230001': 'standup' });
    const lines = loadConfig({
      env: { ...base, SIP_NUMBER_MAP_FILE: 'm.txt' },
      readFile: () => '# DIDs\n4000 = allhands\n4001=standup@muc.meet.jitsi\n',
    });
    expect(lines.sip.numberMap).toEqual({ '4000': 'allhands', '4001': 'standup@muc.meet.jitsi' });
    const broken = problemsOf(() =>
      loadConfig({ env: { ...base, SIP_NUMBER_MAP_FILE: 'm.txt' }, readFile: () => 'just words here' }),
    );
    expect(broken[0]).toMatch(/SIP_NUMBER_MAP_FILE: line 1/);
  });

  it('redacts secrets in the printable form', () => {
    const c = loadConfig({ env: { ...base, SIP_INBOUND_USERS: 'alice:pw1', JIGASI_SIP_PASSWORD: 'sp' } });
    const text = JSON.stringify(redactedConfig(c));
    expect(text).not.toContain('xmpp-secret');
    expect(text).not.toContain('pw1');
    expect(text).not.toContain('"sp"');
    expect(text).not.toContain('cymru');
    expect(text).toContain('Jitsi-Conference-Room-Pass');
  });
});
