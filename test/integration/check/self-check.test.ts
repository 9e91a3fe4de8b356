import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSelfCheck, type CheckResult } from '../../../src/check/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log.js';
import { xml } from '../../../src/xmpp/connection.js';
import { DrachtioDouble, type CapturedRequest } from '../../support/drachtio-double/index.js';
import { fakeEventSocket, type FakeEventSocket } from '../../support/fake-event-socket.js';
import { FakeFocus } from '../../support/fake-focus.js';
import { prosodyAvailable, startProsody, type ProsodyHarness } from '../../support/prosody.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: self-check against Prosody: prosody not available');

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const BREWERY = 'jigasibrewery';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Runs `node src/main.ts --check` as an operator would (through tsx); resolves with its exit code and output. */
function runCheckProcess(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    const proc = spawn(tsx, ['src/main.ts', '--check'], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function byName(results: readonly CheckResult[]): Record<string, CheckResult> {
  return Object.fromEntries(results.map((r) => [r.name, r]));
}

describe('the gateway process with --check', () => {
  it('stops at a configuration error with exit 2, pointing at .env.example and npm run check', async () => {
    const r = await runCheckProcess({});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('JIGASI_XMPP_PASSWORD: is required');
    expect(r.stderr).toContain('.env.example');
    expect(r.stderr).toContain('npm run check');
  });
});

describe.skipIf(!available)('self-check against a real Prosody', () => {
  let prosody: ProsodyHarness;
  let focus: FakeFocus;
  let drachtio: DrachtioDouble;
  let esl: FakeEventSocket;
  let mapper: HttpServer;
  let mapperUrl: string;
  /** How the fake registrar answers every REGISTER (an un-REGISTER always gets 200). */
  let registerStatus = 200;
  const registers: CapturedRequest[] = [];

  beforeAll(async () => {
    prosody = await startProsody({ users: [{ user: 'jigasi', host: 'auth.meet.test', password: 'jigasi-pw' }] });
    focus = await FakeFocus.start(prosody);
    // Jicofo answers disco#info and sits in the brewery, which it creates.
    (focus.client.iqCallee as { get(ns: string, name: string, h: () => unknown): void }).get('http://jabber.org/protocol/disco#info', 'query', () =>
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }, xml('identity', { category: 'client', type: 'bot', name: 'focus' })),
    );
    await focus.joinRoom(`${BREWERY}@${prosody.internalMucDomain}`, FakeFocus.NICK);
    drachtio = await DrachtioDouble.start({ secret: 'drachtio-secret' });
    void (async () => {
      for (;;) {
        const req = await drachtio.waitForRequest('REGISTER', 600_000).catch(() => undefined);
        if (req === undefined) return;
        registers.push(req);
        const unregister = req.message.get('expires') === '0';
        drachtio.respond(req, unregister ? 200 : registerStatus, unregister || registerStatus !== 200 ? {} : { headers: { Contact: `${req.message.get('contact') ?? ''};expires=120` } });
      }
    })();
    esl = await fakeEventSocket('fs-secret', 'auth');
    mapper = createHttpServer((req, res) => {
      if (req.url?.startsWith('/html')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Jitsi Meet</title>');
        return;
      }
      const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: Number(id), conference: false }));
    });
    await new Promise<void>((r) => mapper.listen(0, '127.0.0.1', r));
    mapperUrl = `http://127.0.0.1:${(mapper.address() as { port: number }).port}/conferenceMapper`;
  });
  afterAll(async () => {
    await focus?.close();
    await drachtio?.close();
    await esl?.close();
    await new Promise<void>((r) => (mapper ? mapper.close(() => r()) : r()));
    await prosody?.dispose();
  });

  /** A complete, correct configuration for the parts above, as environment variables. */
  async function goodEnv(): Promise<Record<string, string>> {
    // Two ports of the media range, found free now; the check binds each again.
    const port = await closedPort();
    return {
      XMPP_SERVER: '127.0.0.1',
      XMPP_PORT: String(prosody.port),
      XMPP_DOMAIN: prosody.domain,
      XMPP_AUTH_DOMAIN: prosody.authDomain,
      XMPP_MUC_DOMAIN: prosody.mucDomain,
      XMPP_INTERNAL_MUC_DOMAIN: prosody.internalMucDomain,
      XMPP_FOCUS_JID: focus.jid,
      JIGASI_XMPP_PASSWORD: 'jigasi-pw',
      JIGASI_BREWERY_MUC: BREWERY,
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(drachtio.port),
      DRACHTIO_SECRET: 'drachtio-secret',
      JIGASI_SIP_URI: 'sip:jigasi@pbx.test',
      JIGASI_SIP_PASSWORD: 'sip-pw',
      JIGASI_SIP_SERVER: '127.0.0.1',
      JIGASI_SIP_PORT: '5099',
      MEDIA_MODE: 'freeswitch',
      FREESWITCH_HOST: '127.0.0.1',
      FREESWITCH_PORT: String(esl.port),
      FREESWITCH_SECRET: 'fs-secret',
      CONFERENCE_MAPPER_URL: mapperUrl,
      MEDIA_ADDRESS: '127.0.0.1',
      JIGASI_PORT_MIN: String(Math.max(1024, port - 1)),
      JIGASI_PORT_MAX: String(port),
    };
  }

  async function check(env: Record<string, string>): Promise<Record<string, CheckResult>> {
    const config = loadConfig({ env, version: 'test' });
    return byName(await runSelfCheck(config, silentLogger()));
  }

  it('passes every check of a correct configuration and exits 0, one line per check', async () => {
    const before = registers.length;
    const r = await runCheckProcess(await goodEnv());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const statusOf = (name: string): string | undefined => lines.find((l) => l.split(/\s+/)[1] === name)?.split(/\s+/)[0];
    for (const name of ['prosody', 'xmpp-login', 'call-login', 'brewery', 'focus', 'drachtio', 'registration', 'freeswitch', 'conference-mapper', 'media-ports', 'media-address']) {
      expect(statusOf(name), `${name} in:\n${r.stdout}`).toBe('ok');
    }
    expect(statusOf('xmpp-tls')).toBe('skipped');
    expect(lines.at(-1)).toMatch(/^all 11 checks ok, 1 skipped$/);
    // It registered its own contact and removed that binding again.
    const seen = registers.slice(before);
    expect(seen.map((q) => q.message.get('expires'))).toEqual(['600', '0']);
    expect(seen[0]?.message.get('contact')).toBe('<sip:jigasi-check@localhost>');
  });

  it('names each broken dependency with its fix', async () => {
    const held = dgram.createSocket('udp4');
    await new Promise<void>((r) => held.bind(0, '127.0.0.1', r));
    const heldPort = held.address().port;
    try {
      const r = await check({
        ...(await goodEnv()),
        JIGASI_XMPP_PASSWORD: 'wrong',
        DRACHTIO_PORT: String(await closedPort()),
        FREESWITCH_SECRET: 'not-the-password',
        CONFERENCE_MAPPER_URL: mapperUrl.replace('/conferenceMapper', '/html'),
        JIGASI_PORT_MIN: String(heldPort),
        JIGASI_PORT_MAX: String(heldPort),
      });
      expect(r['xmpp-login']).toMatchObject({ status: 'problem', detail: expect.stringContaining('not-authorized'), fix: expect.stringContaining('JIGASI_XMPP_PASSWORD') });
      expect(r['brewery']).toMatchObject({ status: 'skipped', detail: 'needs xmpp-login first' });
      expect(r['focus']).toMatchObject({ status: 'skipped' });
      expect(r['call-login']?.status).toBe('ok');
      expect(r['drachtio']).toMatchObject({ status: 'problem', detail: expect.stringContaining('ECONNREFUSED'), fix: expect.stringContaining('start drachtio-server') });
      expect(r['registration']).toMatchObject({ status: 'skipped', detail: 'needs drachtio first' });
      expect(r['freeswitch']).toMatchObject({ status: 'problem', fix: expect.stringContaining('FREESWITCH_SECRET') });
      expect(r['conference-mapper']).toMatchObject({ status: 'problem', detail: expect.stringContaining('not JSON'), fix: expect.stringContaining('CONFERENCE_MAPPER_URL') });
      expect(r['media-ports']).toMatchObject({ status: 'problem', detail: expect.stringContaining('all in use'), fix: expect.stringContaining('JIGASI_PORT_MIN') });
    } finally {
      held.close();
    }
  });

  it('finds a brewery Jicofo never created, a wrong drachtio secret, a refused registration and a silent focus', async () => {
    registerStatus = 403;
    try {
      const r = await check({
        ...(await goodEnv()),
        JIGASI_BREWERY_MUC: 'otherbrewery',
        DRACHTIO_SECRET: 'wrong-secret',
        XMPP_FOCUS_JID: `nobody@${prosody.authDomain}/focus`,
      });
      expect(r['xmpp-login']?.status).toBe('ok');
      expect(r['brewery']).toMatchObject({ status: 'problem', detail: expect.stringContaining('does not exist'), fix: expect.stringContaining('JIGASI_BREWERY_MUC') });
      expect(r['focus']).toMatchObject({ status: 'problem', fix: expect.stringContaining('XMPP_FOCUS_JID') });
      expect(r['drachtio']).toMatchObject({ status: 'problem', detail: expect.stringContaining('refused the secret'), fix: expect.stringContaining('DRACHTIO_SECRET') });

      const refused = await check(await goodEnv());
      expect(refused['registration']).toMatchObject({ status: 'problem', detail: expect.stringContaining('403'), fix: expect.stringContaining('JIGASI_SIP_PASSWORD') });
    } finally {
      registerStatus = 200;
    }
  });

  it('exits 1 when something is wrong', async () => {
    const r = await runCheckProcess({ ...(await goodEnv()), FREESWITCH_SECRET: 'nope' });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^problem +freeswitch .*fix: FREESWITCH_SECRET/m);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^1 problem: /);
  });
});
