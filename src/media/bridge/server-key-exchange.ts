import { verify, X509Certificate } from 'node:crypto';

/** TLS HashAlgorithm registry values (RFC 5246 §7.4.1.4.1) to node:crypto names. */
const HASH_BY_ID: Readonly<Record<number, string>> = { 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512' };
const SERVER_KEY_EXCHANGE = 12;

export interface HandshakeRecord {
  msg_type: number;
  fragment: Buffer;
}

/**
 * Checks that the server's ECDHE parameters are signed by the key of the certificate it
 * presented (RFC 8422 §5.4). werift's DTLS client does not do this itself, and without it a
 * fingerprint check proves nothing: anyone can replay the bridge's certificate. Returns a
 * problem description, or undefined when the signature is valid.
 */
export function checkServerKeyExchange(
  handshakes: readonly HandshakeRecord[],
  clientRandom: Buffer,
  serverRandom: Buffer,
  certificateDer: Buffer,
): string | undefined {
  const ske = handshakes.find((h) => h.msg_type === SERVER_KEY_EXCHANGE)?.fragment;
  if (ske === undefined) return 'no ServerKeyExchange in the handshake';
  // ECParameters (curve_type=named_curve, 2-byte curve) ‖ opaque point<1..255> ‖ signature.
  if (ske.length < 4 || ske[0] !== 3) return 'ServerKeyExchange is not named-curve ECDHE';
  const paramsEnd = 4 + (ske[3] as number);
  if (ske.length < paramsEnd + 4) return 'ServerKeyExchange truncated';
  const hash = HASH_BY_ID[ske[paramsEnd] as number];
  if (hash === undefined) return `unsupported signature hash ${ske[paramsEnd]}`;
  const signatureLength = ske.readUInt16BE(paramsEnd + 2);
  const signature = ske.subarray(paramsEnd + 4, paramsEnd + 4 + signatureLength);
  if (signature.length !== signatureLength) return 'ServerKeyExchange signature truncated';
  const signed = Buffer.concat([clientRandom, serverRandom, ske.subarray(0, paramsEnd)]);
  let ok: boolean;
  try {
    ok = verify(hash, signed, new X509Certificate(certificateDer).publicKey, signature);
  } catch (err) {
    return `cannot verify ServerKeyExchange: ${(err as Error).message}`;
  }
  return ok ? undefined : 'ServerKeyExchange signature does not match the certificate';
}
