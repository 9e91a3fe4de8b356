import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '../../../src/xmpp/connection.js';
import { DrachtioDouble } from '../../support/drachtio-double/index.js';
import { prosodyAvailable, startProsody, type ProsodyHarness } from '../../support/prosody.js';
import { closeTestClients, connectTestClient, joinMuc, type Client } from '../../support/xmpp-client.js';

const available = prosodyAvailable();
if (!available) console.log('skipped: prosody not available');

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
/** The built-in conference mapper is on by default: its PIN file goes here, its listener on a free port. */
const DIAL_IN_ENV = { MAPPER_DATA_DIR: join(tmpdir(), `main-process-pins-${process.pid}`), DIALIN_HTTP_PORT: '0' };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function runGateway(env: Record<string, string>): { proc: ChildProcess; output: () => string; exit: Promise<number | null> } {
  let out = '';
  const proc = spawn(tsx, ['src/main.ts'], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...DIAL_IN_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, output: () => out, exit };
}

describe('the gateway process', () => {
  it('refuses to start on a bad config and lists every problem', async () => {
    const g = runGateway({ XMPP_PORT: 'x', MEDIA_MODE: 'nope', JIGASI_PORT_MIN: '3000', JIGASI_PORT_MAX: '2000' });
    expect(await g.exit).toBe(2);
    const text = g.output();
    for (const name of ['JIGASI_XMPP_PASSWORD', 'XMPP_PORT', 'MEDIA_MODE', 'JIGASI_PORT_MIN']) expect(text).toContain(name);
  });

  describe.skipIf(!available)('against a real Prosody', () => {
    let prosody: ProsodyHarness;
    let observer: Client;
    let drachtio: DrachtioDouble;
    const brewery = 'jigasibrewery@internal-muc.meet.test';

    beforeAll(async () => {
      prosody = await startProsody({
        users: [
          { user: 'jigasi', host: 'auth.meet.test', password: 'jigasi-pw' },
          { user: 'focus', host: 'auth.meet.test', password: 'focus-pw' },
        ],
      });
      drachtio = await DrachtioDouble.start({ secret: 'test-secret' });
      observer = await connectTestClient(prosody, { username: 'focus', password: 'focus-pw', resource: 'focus' });
      await joinMuc(observer, brewery, 'focus');
    });
    afterAll(async () => {
      await closeTestClients(observer);
      await drachtio?.close();
      await prosody?.dispose();
      await rm(DIAL_IN_ENV.MAPPER_DATA_DIR, { recursive: true, force: true });
    });

    it('connects to drachtio and joins the brewery, reports healthy, drains on SIGTERM and exits 0', async () => {
      const httpPort = await freePort();
      const seen: Element[] = [];
      observer.on('stanza', (s: Element) => {
        if (s.is('presence') && String(s.attrs['from']).startsWith(`${brewery}/`)) seen.push(s);
      });
      const g = runGateway(gatewayEnv(httpPort));
      try {
        const health = async (): Promise<number> => {
          try {
            return (await fetch(`http://127.0.0.1:${httpPort}/about/health`)).status;
          } catch {
            return 0;
          }
        };
        const deadline = Date.now() + 15_000;
        while ((await health()) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(await health(), g.output()).toBe(200);
        const stats = seen.map((p) => p.getChild('stats', 'http://jitsi.org/protocol/colibri')).find((s) => s !== undefined);
        expect(stats?.getChildren('stat').map((s) => s.attrs['name'])).toContain('supports_sip');
        const body = (await (await fetch(`http://127.0.0.1:${httpPort}/about/stats`)).json()) as Record<string, unknown>;
        expect(body).toMatchObject({ conferences: 0, participants: 0, graceful_shutdown: false });

        const before = seen.length;
        g.proc.kill('SIGTERM');
        expect(await g.exit).toBe(0);
        // The control session said goodbye: an unavailable presence from its occupant JID.
        const gone = seen.slice(before).some((p) => p.attrs['type'] === 'unavailable');
        expect(gone).toBe(true);
        expect(g.output()).toMatch(/graceful shutdown/);
      } finally {
        if (g.proc.exitCode === null) g.proc.kill('SIGKILL');
      }
    }, 30_000);

    /**
     * README runs the gateway with `npm start`: npm runs the script through `sh -c`, and npm passes
     * SIGTERM to that shell only, so the script must exec node for the signal to reach the gateway.
     * The package here is the repository's own package.json (its start script verbatim) with a
     * dist/main.js that runs src/main.ts, so no build is needed.
     */
    it('drains on a SIGTERM sent to the npm process of `npm start`, and nothing is left running', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'npm-start-'));
      await copyFile(join(root, 'package.json'), join(dir, 'package.json'));
      await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
      await mkdir(join(dir, 'dist'));
      await writeFile(
        join(dir, 'dist/main.js'),
        `import { register } from 'tsx/esm/api';\nregister();\nconsole.log(JSON.stringify({ gatewayPid: process.pid }));\nawait import(${JSON.stringify(join(root, 'src/main.ts'))});\n`,
      );
      const httpPort = await freePort();
      let out = '';
      // --ignore-scripts skips only prestart (the build); the start script itself still runs.
      const npm = spawn('npm', ['start', '--ignore-scripts'], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir, ...DIAL_IN_ENV, ...gatewayEnv(httpPort), MEDIA_WORKERS: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      npm.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      npm.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const npmExit = new Promise<number | null>((r) => npm.on('exit', (code) => r(code)));
      let gatewayPid: number | undefined;
      try {
        const deadline = Date.now() + 20_000;
        while ((await healthStatus(httpPort)) !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(await healthStatus(httpPort), out).toBe(200);
        gatewayPid = Number(/"gatewayPid":(\d+)/.exec(out)?.[1]);
        expect(gatewayPid).not.toBe(npm.pid);

        npm.kill('SIGTERM');
        expect(await npmExit).toBe(0);
        expect(out).toMatch(/graceful shutdown/);
        expect(alive(gatewayPid), 'the gateway process outlived npm').toBe(false);
        expect(await healthStatus(httpPort)).toBe(0);
      } finally {
        if (npm.exitCode === null) npm.kill('SIGKILL');
        if (gatewayPid !== undefined && alive(gatewayPid)) process.kill(gatewayPid, 'SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    }, 40_000);

    function gatewayEnv(httpPort: number): Record<string, string> {
      return {
        XMPP_SERVER: '127.0.0.1',
        XMPP_PORT: String(prosody.port),
        XMPP_DOMAIN: 'meet.test',
        XMPP_AUTH_DOMAIN: 'auth.meet.test',
        XMPP_MUC_DOMAIN: 'muc.meet.test',
        XMPP_INTERNAL_MUC_DOMAIN: 'internal-muc.meet.test',
        JIGASI_XMPP_PASSWORD: 'jigasi-pw',
        HTTP_PORT: String(httpPort),
        DRACHTIO_HOST: '127.0.0.1',
        DRACHTIO_PORT: String(drachtio.connectOptions.port),
        DRACHTIO_SECRET: 'test-secret',
        LOG_LEVEL: 'info',
      };
    }
  });
});

async function healthStatus(port: number): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/about/health`)).status;
  } catch {
    return 0;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
