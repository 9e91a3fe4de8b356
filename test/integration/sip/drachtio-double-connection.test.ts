import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { DrachtioConnection, type DrachtioConnectionError } from '../../../src/sip/drachtio-connection.js';
import { Backoff } from '../../../src/util/backoff.js';
import { DrachtioDouble } from '../../support/drachtio-double/index.js';
import * as sip from '../../support/sip-messages.js';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startDouble(opts?: { port?: number }): Promise<DrachtioDouble> {
  const d = await DrachtioDouble.start(opts);
  cleanups.push(() => d.close());
  return d;
}

function connection(target: { host: string; port: number; secret: string }): DrachtioConnection {
  const conn = new DrachtioConnection({ ...target, logger: silentLogger(), backoff: new Backoff(20, 200) });
  cleanups.push(() => conn.close());
  return conn;
}

function record(conn: DrachtioConnection): string[] {
  const seen: string[] = [];
  conn.on('connecting', () => seen.push('connecting'));
  conn.on('connected', () => seen.push('connected'));
  conn.on('disconnected', () => seen.push('disconnected'));
  return seen;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('DrachtioConnection with drachtio-srf and the drachtio double', () => {
  it('connects, reports the server transports, and serves requests through its srf', async () => {
    const double = await startDouble();
    const conn = connection(double.connectOptions);
    conn.srf.use('options', (_req, res) => res.send(200));
    conn.start();
    const info = await conn.whenConnected(5000);
    expect(info.hostports).toEqual([
      { protocol: 'udp', address: '127.0.0.1', port: 5060 },
      { protocol: 'tcp', address: '127.0.0.1', port: 5060 },
    ]);
    expect(info.version).toBe('v0.9.4');
    expect(conn.state).toBe('connected');
    await double.waitForRoute('options');
    const h = double.injectRequest(sip.options({ from: '<sip:probe@127.0.0.1>', to: '<sip:gw@127.0.0.1>' }));
    expect((await h.waitForResponse()).status).toBe(200);
  });

  it('reconnects after drachtio-server drops it, re-registers routes, and reports each state', async () => {
    const double = await startDouble();
    const conn = connection(double.connectOptions);
    const seen = record(conn);
    conn.srf.use('options', (_req, res) => res.send(200));
    conn.start();
    await conn.whenConnected(5000);
    await double.waitForRoute('options');

    const lost = conn.waitFor('disconnected', 5000);
    await double.disconnect();
    const [reason] = await lost;
    expect(reason).toBe('connection to drachtio-server lost');
    expect(conn.state).not.toBe('connected');

    await conn.whenConnected(5000);
    expect(seen).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
    await double.waitForRoute('options');
    const h = double.injectRequest(sip.options({ from: '<sip:probe@127.0.0.1>', to: '<sip:gw@127.0.0.1>' }));
    expect((await h.waitForResponse()).status).toBe(200);

    await conn.close();
    expect(conn.state).toBe('disconnected');
    await double.waitForNoConnection();
    expect(seen.at(-1)).toBe('disconnected');
  });

  it('keeps trying until drachtio-server comes up', async () => {
    const port = await freePort();
    const conn = connection({ host: '127.0.0.1', port, secret: 'cymru' });
    const seen = record(conn);
    conn.start();
    await expect.poll(() => seen.filter((s) => s === 'disconnected').length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(conn.state).not.toBe('connected');
    const double = await startDouble({ port });
    await conn.whenConnected(5000);
    expect(double.connectionCount).toBe(1);
  });

  it('reports a wrong secret as an auth error, retries, and stops retrying once closed', async () => {
    const double = await startDouble();
    const conn = connection({ ...double.connectOptions, secret: 'wrong' });
    const errors: DrachtioConnectionError[] = [];
    conn.on('error', (e) => errors.push(e));
    conn.start();
    await expect.poll(() => double.authFailures, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(errors[0]?.kind).toBe('auth');
    expect(conn.state).not.toBe('connected');
    await conn.close();
    await double.waitForNoConnection();
    const failures = double.authFailures;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(double.authFailures).toBe(failures);
  });
});
