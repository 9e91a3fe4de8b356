import { createCipheriv } from 'node:crypto';

/** Session keys for one direction of one SRTP crypto context. */
export interface SessionKeys {
  rtpKey: Buffer;
  rtpSalt: Buffer;
  rtpAuthKey: Buffer;
  rtcpKey: Buffer;
  rtcpSalt: Buffer;
  rtcpAuthKey: Buffer;
}

/** KDF labels, RFC 3711 §4.3.2. */
const LABEL = { rtpKey: 0, rtpAuth: 1, rtpSalt: 2, rtcpKey: 3, rtcpAuth: 4, rtcpSalt: 5 } as const;

/**
 * The SRTP key derivation of RFC 3711 §4.3 with a key derivation rate of 0 (DTLS-SRTP never
 * uses another): each session key is the AES-CM keystream under the master key, started at
 * `(label << 48 XOR master_salt) << 16`.
 *
 * A 12-byte AEAD master salt (RFC 7714) is zero-padded on the right to the 14 bytes of the
 * AES-CM PRF, as libsrtp does.
 */
export function deriveSessionKeys(
  masterKey: Buffer,
  masterSalt: Buffer,
  lengths: { salt: number; auth: number },
): SessionKeys {
  if (masterKey.length !== 16) throw new RangeError(`SRTP master key must be 16 bytes, got ${masterKey.length}`);
  if (masterSalt.length > 14) throw new RangeError(`SRTP master salt too long: ${masterSalt.length}`);
  return {
    rtpKey: prf(masterKey, masterSalt, LABEL.rtpKey, 16),
    rtpSalt: prf(masterKey, masterSalt, LABEL.rtpSalt, lengths.salt),
    rtpAuthKey: prf(masterKey, masterSalt, LABEL.rtpAuth, lengths.auth),
    rtcpKey: prf(masterKey, masterSalt, LABEL.rtcpKey, 16),
    rtcpSalt: prf(masterKey, masterSalt, LABEL.rtcpSalt, lengths.salt),
    rtcpAuthKey: prf(masterKey, masterSalt, LABEL.rtcpAuth, lengths.auth),
  };
}

function prf(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  if (length === 0) return Buffer.alloc(0);
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0);
  iv[7] = (iv[7] as number) ^ label;
  const cipher = createCipheriv('aes-128-ctr', masterKey, iv);
  return cipher.update(Buffer.alloc(length));
}
