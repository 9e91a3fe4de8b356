import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
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

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function runGateway(env: Record<string, string>): { proc: ChildProcess; output: () => string; exit: Promise<number | null> } {
  let out = '';
  const proc = spawn(tsx, ['src/main.ts'], { cwd: root, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    });

    it('connects to drachtio and joins the brewery, reports healthy, drains on SIGTERM and exits 0', async () => {
      const httpPort = await freePort();
      const seen: Element[] = [];
      observer.on('stanza', (s: Element) => {
        if (s.is('presence') && String(s.attrs['from']).startsWith(`${brewery}/`)) seen.push(s);
      });
      const g = runGateway({
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
      });
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
  });
});
