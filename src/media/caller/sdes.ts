/**
 * SDES key exchange for the caller's SRTP (RFC 4568): the `a=crypto` lines of an audio m-line,
 * read and written, and the SRTP session they key. Each side announces the master key it sends
 * with; the suite is the same both ways.
 *
 * Keys are secrets: nothing here puts a key into an error message, and callers must never log a
 * parsed SdesKey or an SDP that carries one.
 */
import { randomBytes } from 'node:crypto';
import { AesCmSrtpSession } from '../bridge/srtp/aes-cm-session.js';

/** CALLER_SRTP: refuse SRTP offers, take SRTP when offered (and offer it), or insist on it. */
export type CallerSrtpPolicy = 'off' | 'optional' | 'required';

export type SdesSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

/** The suites we take and offer, in our order of preference. */
export const SDES_SUITES: readonly SdesSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** Master key (16 bytes) followed by master salt (14 bytes), as `inline:` carries them. */
export const SDES_KEY_LENGTH = 30;

export interface SdesKey {
  /** The a=crypto tag the answer must repeat. */
  tag: number;
  suite: SdesSuite;
  /** Master key ‖ master salt. */
  keySalt: Buffer;
}

/** The a=crypto lines as sdp-transform parses them. */
export interface CryptoLine {
  id: number;
  suite: string;
  config: string;
  sessionConfig?: string;
}

export function newSdesKey(): Buffer {
  return randomBytes(SDES_KEY_LENGTH);
}

function isSuite(s: string): s is SdesSuite {
  return (SDES_SUITES as readonly string[]).includes(s);
}

/**
 * The key of one a=crypto line, or undefined when we cannot use it: another suite, several keys
 * (we do not rekey), an MKI (we send and expect none), session parameters (UNENCRYPTED_SRTP,
 * KDR…, which change the transform), or a key that is not 30 bytes of base64.
 */
function usableKey(line: CryptoLine): SdesKey | undefined {
  if (!isSuite(line.suite) || !Number.isInteger(line.id) || line.id < 0 || line.id > 999_999_999) return undefined;
  if (line.sessionConfig !== undefined && line.sessionConfig.trim() !== '') return undefined;
  const params = line.config.trim().split(';');
  if (params.length !== 1) return undefined;
  const m = /^inline:([A-Za-z0-9+/]+={0,2})(?:\|([^|]+))?(\|.*)?$/.exec(params[0]!);
  if (m === null || m[3] !== undefined) return undefined;
  // A lifetime (2^31 or a number) needs nothing: no call lives for 2^31 packets. An MKI has a colon.
  if (m[2] !== undefined && m[2].includes(':')) return undefined;
  const keySalt = Buffer.from(m[1]!, 'base64');
  if (keySalt.length !== SDES_KEY_LENGTH) return undefined;
  return { tag: line.id, suite: line.suite, keySalt };
}

/** The usable keys of an m-line, in the order the sender listed them (its preference). */
export function usableKeys(lines: readonly CryptoLine[] | undefined): SdesKey[] {
  const keys: SdesKey[] = [];
  for (const line of lines ?? []) {
    const k = usableKey(line);
    if (k !== undefined) keys.push(k);
  }
  return keys;
}

/** One a=crypto attribute value (without "a="): `tag suite inline:key`. */
export function cryptoAttribute(tag: number, suite: SdesSuite, keySalt: Buffer): string {
  return `crypto:${tag} ${suite} inline:${keySalt.toString('base64')}`;
}

/** The SRTP session of a negotiated suite: `local` keys what we send, `remote` what we receive. */
export function createSdesSession(suite: SdesSuite, local: Buffer, remote: Buffer): AesCmSrtpSession {
  return new AesCmSrtpSession(
    { localKey: local.subarray(0, 16), localSalt: local.subarray(16, 30), remoteKey: remote.subarray(0, 16), remoteSalt: remote.subarray(16, 30) },
    suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10,
  );
}
