import { createHash, X509Certificate } from 'node:crypto';
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm, type SignatureHash } from 'werift';
import type { FingerprintLike } from './types.js';

/** A self-signed DTLS certificate with its key, in the form werift's DTLS wants. */
export interface DtlsCertificate {
  certPem: string;
  keyPem: string;
  signatureHash: SignatureHash;
  /** SHA-256 fingerprint of the DER certificate, upper-case colon-separated hex. */
  fingerprint: { hash: 'sha-256'; value: string };
}

let shared: Promise<DtlsCertificate> | undefined;

/**
 * The certificate every transport of this process presents. DTLS-SRTP authenticates by the
 * fingerprint signalled in Jingle, not by a CA, so nothing is gained from one certificate per call
 * while generating one costs milliseconds of CPU on the call-setup path. Browsers do the same
 * (one certificate per RTCPeerConnection origin, reused for weeks). Generated lazily, once.
 */
export function processCertificate(): Promise<DtlsCertificate> {
  shared ??= generateCertificate().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

/** A fresh ECDSA P-256 / SHA-256 self-signed certificate. */
export async function generateCertificate(): Promise<DtlsCertificate> {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  const der = new X509Certificate(certPem).raw;
  return { certPem, keyPem, signatureHash, fingerprint: { hash: 'sha-256', value: certificateFingerprint(der, 'sha-256') } };
}

/** Hash names of the SDP/Jingle fingerprint registry (RFC 8122) mapped to node:crypto names. */
const HASHES: Readonly<Record<string, string>> = {
  'sha-1': 'sha1',
  'sha-224': 'sha224',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/** Fingerprint of a DER certificate as SDP writes it ("AB:CD:…"). */
export function certificateFingerprint(der: Buffer, hash: string): string {
  const algorithm = HASHES[hash.toLowerCase()];
  if (algorithm === undefined) throw new RangeError(`unsupported fingerprint hash '${hash}'`);
  const hex = createHash(algorithm).update(der).digest('hex').toUpperCase();
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/**
 * Whether `der` matches one of the signalled fingerprints. Fingerprints with hash functions we
 * don't know are skipped; if none is usable the answer is no (never accept unverified).
 */
export function matchesFingerprint(der: Buffer, fingerprints: readonly FingerprintLike[]): boolean {
  for (const fp of fingerprints) {
    const algorithm = HASHES[fp.hash.toLowerCase()];
    if (algorithm === undefined) continue;
    const actual = createHash(algorithm).update(der).digest('hex');
    const expected = fp.value.replace(/:/g, '').toLowerCase();
    if (expected === actual) return true;
  }
  return false;
}
