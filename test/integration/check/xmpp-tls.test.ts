import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkXmppTls } from '../../../src/check/xmpp-tls.js';
import { loadConfig, type XmppConfig } from '../../../src/config/index.js';
import { opensslAvailable, selfSignedCertificate } from '../../support/tls-cert.js';

const available = opensslAvailable();
if (!available) console.log('skipped: xmpp-tls check: openssl not available');

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

function xmppConfig(port: number, tls: boolean): XmppConfig {
  const env = { JIGASI_XMPP_PASSWORD: 'x', XMPP_SERVER: '127.0.0.1', XMPP_PORT: String(port), XMPP_TLS: String(tls), XMPP_DOMAIN: 'meet.test', XMPP_AUTH_DOMAIN: 'auth.meet.test' };
  return loadConfig({ env }).xmpp;
}

describe.skipIf(!available)('the xmpp-tls check', () => {
  let dir: string;
  const servers: Server[] = [];
  const sockets: Array<{ destroy(): void }> = [];
  let selfSignedPort = 0;
  let plainPort = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'check-tls-'));
    // A certificate for the right names, but signed by nobody Node trusts: what a Prosody with
    // its own CA looks like before NODE_EXTRA_CA_CERTS is set.
    const cert = selfSignedCertificate(dir, { commonName: 'meet.test', altNames: 'DNS:meet.test,DNS:auth.meet.test' });
    const tls = createTlsServer({ key: readFileSync(cert.keyFile), cert: readFileSync(cert.certFile) }, (s) => s.end());
    tls.on('tlsClientError', () => undefined);
    tls.on('connection', (s) => sockets.push(s));
    servers.push(tls);
    selfSignedPort = await listen(tls);
    // A plain XMPP port: it answers a TLS ClientHello with XML, not a handshake.
    const plain = createTcpServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      s.end("<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams'>");
    });
    servers.push(plain);
    plainPort = await listen(plain);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('is skipped without XMPP_TLS', async () => {
    expect(await checkXmppTls(xmppConfig(plainPort, false), new AbortController().signal)).toMatchObject({ status: 'skipped' });
  });

  it('names an untrusted certificate and NODE_EXTRA_CA_CERTS', async () => {
    const r = await checkXmppTls(xmppConfig(selfSignedPort, true), new AbortController().signal);
    expect(r).toMatchObject({ status: 'problem', detail: expect.stringContaining('auth.meet.test'), fix: expect.stringContaining('NODE_EXTRA_CA_CERTS') });
  });

  it('says a plain XMPP port needs XMPP_TLS=false', async () => {
    const r = await checkXmppTls(xmppConfig(plainPort, true), new AbortController().signal);
    expect(r).toMatchObject({ status: 'problem', fix: expect.stringContaining('XMPP_TLS=false') });
  });
});
