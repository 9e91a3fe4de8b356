import { createPublicKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certificateFingerprint,
  generateCertificate,
  matchesFingerprint,
  processCertificate,
} from '../../../src/media/bridge/certificate.js';
import { checkServerKeyExchange } from '../../../src/media/bridge/server-key-exchange.js';

/** A ServerKeyExchange body as a DTLS server would send it, signed with `keyPem`. */
function serverKeyExchange(keyPem: string, clientRandom: Buffer, serverRandom: Buffer): Buffer {
  const point = Buffer.concat([Buffer.from([4]), randomBytes(64)]);
  const params = Buffer.concat([Buffer.from([3, 0, 23, point.length]), point]);
  const signature = sign('sha256', Buffer.concat([clientRandom, serverRandom, params]), keyPem);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(signature.length);
  return Buffer.concat([params, Buffer.from([4, 3]), length, signature]);
}

describe('DTLS peer authentication', () => {
  it('formats and matches certificate fingerprints the way SDP/Jingle writes them', async () => {
    const cert = await generateCertificate();
    const der = new X509Certificate(cert.certPem).raw;
    expect(cert.fingerprint.value).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(cert.fingerprint.value).toBe(new X509Certificate(cert.certPem).fingerprint256);
    expect(matchesFingerprint(der, [{ hash: 'SHA-256', value: cert.fingerprint.value.toLowerCase() }])).toBe(true);
    expect(matchesFingerprint(der, [{ hash: 'sha-1', value: certificateFingerprint(der, 'sha-1') }])).toBe(true);
    const other = await generateCertificate();
    expect(matchesFingerprint(der, [other.fingerprint])).toBe(false);
    expect(matchesFingerprint(der, [{ hash: 'md5', value: cert.fingerprint.value }])).toBe(false);
    expect(matchesFingerprint(der, [])).toBe(false);
  });

  it('shares one certificate per process', async () => {
    const [a, b] = await Promise.all([processCertificate(), processCertificate()]);
    expect(a).toBe(b);
    expect(createPublicKey(a.keyPem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('accepts ECDHE parameters signed by the certificate key and rejects anything else', async () => {
    const cert = await generateCertificate();
    const der = new X509Certificate(cert.certPem).raw;
    const clientRandom = randomBytes(32);
    const serverRandom = randomBytes(32);
    const ske = serverKeyExchange(cert.keyPem, clientRandom, serverRandom);
    const records = [{ msg_type: 12, fragment: ske }];
    expect(checkServerKeyExchange(records, clientRandom, serverRandom, der)).toBeUndefined();

    const tampered = Buffer.from(ske);
    tampered[10] = (tampered[10] as number) ^ 1; // inside the public point
    expect(checkServerKeyExchange([{ msg_type: 12, fragment: tampered }], clientRandom, serverRandom, der)).toMatch(
      /does not match/,
    );
    // Replayed from another handshake (other randoms), or signed by a key that isn't the certificate's.
    expect(checkServerKeyExchange(records, randomBytes(32), serverRandom, der)).toMatch(/does not match/);
    const impostor = await generateCertificate();
    expect(checkServerKeyExchange(records, clientRandom, serverRandom, new X509Certificate(impostor.certPem).raw)).toMatch(
      /does not match/,
    );
    expect(checkServerKeyExchange([], clientRandom, serverRandom, der)).toMatch(/no ServerKeyExchange/);
  });
});
