import type { SrtpProfileName } from '../types.js';
import { AesCmSrtpSession } from './aes-cm-session.js';
import { AesGcmSrtpSession } from './aes-gcm-session.js';
import type { SrtpMasterKeys } from './profiles.js';

export interface SrtpCounters {
  /** Packets whose authentication tag did not verify. */
  authFailures: number;
  /** Packets already received (same index) or too old for the replay window. */
  replays: number;
  /** Packets too short or with a header that does not fit. */
  malformed: number;
}

/**
 * One DTLS-SRTP association: the outbound (local key) and inbound (remote key) crypto contexts
 * for RTP and RTCP, with per-SSRC state created on demand, so any number of SSRCs share it.
 *
 * `protect*` returns a new buffer (the input is left untouched: callers may reuse it).
 * `unprotect*` works in place on the received datagram and returns a view of the plaintext, or
 * null when the packet must be dropped (the reason is counted in `counters`).
 */
export interface SrtpSession {
  readonly profile: SrtpProfileName;
  readonly counters: SrtpCounters;
  protectRtp(packet: Buffer): Buffer;
  unprotectRtp(packet: Buffer): Buffer | null;
  protectRtcp(packet: Buffer): Buffer;
  unprotectRtcp(packet: Buffer): Buffer | null;
}

export function createSrtpSession(profile: SrtpProfileName, keys: SrtpMasterKeys): SrtpSession {
  switch (profile) {
    case 'AES_CM_128_HMAC_SHA1_80':
      return new AesCmSrtpSession(keys);
    case 'AEAD_AES_128_GCM':
      return new AesGcmSrtpSession(keys);
  }
}

export function newCounters(): SrtpCounters {
  return { authFailures: 0, replays: 0, malformed: 0 };
}

export function readU32(p: Buffer, offset: number): number {
  return (
    (((p[offset] as number) << 24) |
      ((p[offset + 1] as number) << 16) |
      ((p[offset + 2] as number) << 8) |
      (p[offset + 3] as number)) >>>
    0
  );
}

export function writeU32(p: Buffer, offset: number, value: number): void {
  p[offset] = value >>> 24;
  p[offset + 1] = (value >>> 16) & 0xff;
  p[offset + 2] = (value >>> 8) & 0xff;
  p[offset + 3] = value & 0xff;
}
