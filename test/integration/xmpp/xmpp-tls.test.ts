import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { closeXmppClient, createXmppClient } from '../../../src/xmpp/connection.js';
import { opensslAvailable, selfSignedCertificate } from '../../support/tls-cert.js';

const available = opensslAvailable();
if (!available) console.log('skipped: openssl not available');

describe.skipIf(!available)('XMPP over direct TLS', () => {
  let server: Server;
  let dir = '';
  const sni: string[] = [];
  const handshakeErrors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xmpp-tls-'));
    const cert = selfSignedCertificate(dir, { commonName: 'meet.test', altNames: 'DNS:meet.test' });
    server = createServer({
      key: readFileSync(cert.keyFile),
      cert: readFileSync(cert.certFile),
      SNICallback: (name, cb) => {
        sni.push(name);
        cb(null);
      },
    });
    server.on('tlsClientError', (err) => handshakeErrors.push(err.message));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a server whose certificate it cannot verify, having asked for the XMPP domain by SNI', async () => {
    const xmpp = createXmppClient({
      service: `xmpps://127.0.0.1:${(server.address() as AddressInfo).port}`,
      domain: 'meet.test',
      username: 'jigasi',
      password: 'never-sent',
      allowPlain: true,
      logger: silentLogger(),
    });
    xmpp.reconnect.stop();
    const err = await xmpp.start().then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    await closeXmppClient(xmpp);
    expect(err?.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(sni).toEqual(['meet.test']);
  });
});
