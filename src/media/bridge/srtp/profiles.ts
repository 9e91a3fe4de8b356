import type { SrtpProfileName } from '../types.js';

/** DTLS-SRTP protection profile ids (RFC 5764 §4.1.2, RFC 7714 §14.2), as used in `use_srtp`. */
export const SRTP_PROFILE_IDS: Readonly<Record<SrtpProfileName, number>> = {
  AES_CM_128_HMAC_SHA1_80: 0x0001,
  AEAD_AES_128_GCM: 0x0007,
};

export interface SrtpProfileSpec {
  name: SrtpProfileName;
  id: number;
  /** Master key and master salt lengths, bytes (what DTLS exports per direction). */
  keyLength: number;
  saltLength: number;
  /** Bytes appended to every SRTP packet (authentication tag). */
  rtpOverhead: number;
}

export const SRTP_PROFILES: Readonly<Record<SrtpProfileName, SrtpProfileSpec>> = {
  AES_CM_128_HMAC_SHA1_80: { name: 'AES_CM_128_HMAC_SHA1_80', id: 0x0001, keyLength: 16, saltLength: 14, rtpOverhead: 10 },
  AEAD_AES_128_GCM: { name: 'AEAD_AES_128_GCM', id: 0x0007, keyLength: 16, saltLength: 12, rtpOverhead: 16 },
};

export function profileById(id: number): SrtpProfileSpec | undefined {
  for (const spec of Object.values(SRTP_PROFILES)) if (spec.id === id) return spec;
  return undefined;
}

/** Keys and salts exported from the DTLS handshake (RFC 5764 §4.2), split per direction. */
export interface SrtpMasterKeys {
  localKey: Buffer;
  localSalt: Buffer;
  remoteKey: Buffer;
  remoteSalt: Buffer;
}
