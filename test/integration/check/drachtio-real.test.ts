/** The self-check's drachtio line against a real drachtio-server (DRACHTIO_BIN). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDrachtio, DrachtioProbe } from '../../../src/check/drachtio-check.js';
import { silentLogger } from '../../../src/log.js';
import { drachtioAvailable, DrachtioServer } from '../../support/drachtio-server.js';

const available = drachtioAvailable();
if (!available) console.log('skipped: self-check against a real drachtio-server: drachtio-server not available (set DRACHTIO_BIN)');

describe.skipIf(!available)('the drachtio check against a real drachtio-server', () => {
  let server: DrachtioServer;
  beforeAll(async () => {
    server = await DrachtioServer.start('real-secret');
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function check(secret: string): Promise<Awaited<ReturnType<typeof checkDrachtio>>> {
    // drachtio-server gives no start-up guarantee: a refused first attempt is retried until it listens.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const probe = new DrachtioProbe({ host: '127.0.0.1', port: server.adminPort, secret }, silentLogger());
      try {
        const r = await checkDrachtio(probe, new AbortController().signal).catch((err: Error & { fix?: string }) => ({ status: 'problem' as const, detail: err.message, fix: err.fix }));
        if (!/ECONNREFUSED/.test(r.detail) || Date.now() > deadline) return r;
      } finally {
        await probe.close();
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('reports the server version and SIP address with the right secret', async () => {
    const r = await check('real-secret');
    expect(r.status, r.detail).toBe('ok');
    expect(r.detail).toContain(`udp/127.0.0.1:${server.sipPort}`);
  });

  it('names a wrong secret and DRACHTIO_SECRET', async () => {
    const r = await check('wrong');
    expect(r).toMatchObject({ status: 'problem', detail: expect.stringContaining('refused the secret'), fix: expect.stringContaining('DRACHTIO_SECRET') });
  });
});
