import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { rtpHeaderLength } from '../packet-demux.js';
import { AesCtrKeystream } from './aes-ctr-keystream.js';
import { deriveSessionKeys } from './key-derivation.js';
import type { SrtpMasterKeys } from './profiles.js';
import { SrtpStreams } from './rollover.js';
import { newCounters, readU32, writeU32, type SrtpCounters, type SrtpSession } from './srtp-session.js';

/** SRTCP always carries the 80-bit tag, also under AES_CM_128_HMAC_SHA1_32 (RFC 4568 §6.2.1). */
const TAG = 10; // HMAC-SHA1-80
const SRTCP_INDEX = 4;
const E_FLAG = 0x80000000;

/** One direction's keys, ready for per-packet use. */
class CmDirection {
  readonly rtpStream: AesCtrKeystream;
  readonly rtpSalt: Buffer;
  readonly rtpAuth: KeyObject;
  readonly rtcpStream: AesCtrKeystream;
  readonly rtcpSalt: Buffer;
  readonly rtcpAuth: KeyObject;

  constructor(masterKey: Buffer, masterSalt: Buffer) {
    const k = deriveSessionKeys(masterKey, masterSalt, { salt: 14, auth: 20 });
    this.rtpStream = new AesCtrKeystream(k.rtpKey);
    this.rtpSalt = k.rtpSalt;
    this.rtpAuth = createSecretKey(k.rtpAuthKey);
    this.rtcpStream = new AesCtrKeystream(k.rtcpKey);
    this.rtcpSalt = k.rtcpSalt;
    this.rtcpAuth = createSecretKey(k.rtcpAuthKey);
  }
}

/**
 * SRTP_AES128_CM_HMAC_SHA1_80 (RFC 3711), the profile every WebRTC endpoint supports, and with
 * `rtpTagLength` 4 its _32 sibling, which SDES phones offer to save 6 bytes per RTP packet.
 */
export class AesCmSrtpSession implements SrtpSession {
  readonly profile = 'AES_CM_128_HMAC_SHA1_80' as const;
  readonly counters: SrtpCounters = newCounters();
  /** Bytes of the RTP authentication tag: 10 (HMAC-SHA1-80) or 4 (HMAC-SHA1-32). */
  readonly rtpTagLength: number;
  readonly #out: CmDirection;
  readonly #in: CmDirection;
  readonly #streams = new SrtpStreams();
  // Scratch buffers: everything here is synchronous, so one of each per session is enough.
  readonly #iv = Buffer.alloc(16);
  readonly #roc = Buffer.alloc(4);

  constructor(keys: SrtpMasterKeys, rtpTagLength: 10 | 4 = TAG) {
    this.rtpTagLength = rtpTagLength;
    this.#out = new CmDirection(keys.localKey, keys.localSalt);
    this.#in = new CmDirection(keys.remoteKey, keys.remoteSalt);
  }

  protectRtp(packet: Buffer): Buffer {
    const length = packet.length;
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0) throw new RangeError('cannot protect a malformed RTP packet');
    const ssrc = readU32(packet, 8);
    const seq = ((packet[2] as number) << 8) | (packet[3] as number);
    const roc = this.#streams.sendRtpRoc(ssrc, seq);

    const tagLength = this.rtpTagLength;
    const out = Buffer.allocUnsafe(length + tagLength);
    packet.copy(out, 0, 0, length);
    this.#counter(this.#out.rtpSalt, ssrc, roc, seq);
    this.#out.rtpStream.xor(out, headerLength, length, this.#iv);
    this.#rtpTag(this.#out.rtpAuth, out, length, roc).copy(out, length, 0, tagLength);
    return out;
  }

  unprotectRtp(packet: Buffer): Buffer | null {
    const tagLength = this.rtpTagLength;
    const authLength = packet.length - tagLength;
    const headerLength = rtpHeaderLength(packet, authLength);
    if (headerLength < 0) {
      this.counters.malformed++;
      return null;
    }
    const ssrc = readU32(packet, 8);
    const seq = ((packet[2] as number) << 8) | (packet[3] as number);
    const roc = this.#streams.receiveRtpRoc(ssrc, seq);
    if (roc < 0) {
      this.counters.replays++;
      return null;
    }
    const tag = this.#rtpTag(this.#in.rtpAuth, packet, authLength, roc);
    if (!tagMatches(tag, packet, authLength, tagLength)) {
      this.counters.authFailures++;
      return null;
    }
    this.#counter(this.#in.rtpSalt, ssrc, roc, seq);
    this.#in.rtpStream.xor(packet, headerLength, authLength, this.#iv);
    this.#streams.acceptRtp(ssrc, seq, roc);
    return packet.subarray(0, authLength);
  }

  protectRtcp(packet: Buffer): Buffer {
    const length = packet.length;
    if (length < 8) throw new RangeError('cannot protect a malformed RTCP packet');
    const ssrc = readU32(packet, 4);
    const index = this.#streams.nextRtcpIndex(ssrc);

    const out = Buffer.allocUnsafe(length + SRTCP_INDEX + TAG);
    packet.copy(out, 0, 0, length);
    this.#counter(this.#out.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
    this.#out.rtcpStream.xor(out, 8, length, this.#iv);
    writeU32(out, length, (E_FLAG | index) >>> 0);
    const authLength = length + SRTCP_INDEX;
    createHmac('sha1', this.#out.rtcpAuth).update(out.subarray(0, authLength)).digest().copy(out, authLength, 0, TAG);
    return out;
  }

  unprotectRtcp(packet: Buffer): Buffer | null {
    const authLength = packet.length - TAG;
    const end = authLength - SRTCP_INDEX;
    if (end < 8) {
      this.counters.malformed++;
      return null;
    }
    const ssrc = readU32(packet, 4);
    const eIndex = readU32(packet, end);
    const index = eIndex & 0x7fffffff;
    if (!this.#streams.receiveRtcpFresh(ssrc, index)) {
      this.counters.replays++;
      return null;
    }
    const tag = createHmac('sha1', this.#in.rtcpAuth).update(packet.subarray(0, authLength)).digest();
    if (!tagMatches(tag, packet, authLength, TAG)) {
      this.counters.authFailures++;
      return null;
    }
    if ((eIndex & E_FLAG) !== 0) {
      this.#counter(this.#in.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
      this.#in.rtcpStream.xor(packet, 8, end, this.#iv);
    }
    this.#streams.acceptRtcp(ssrc, index);
    return packet.subarray(0, end);
  }

  /**
   * Writes the first counter block into the scratch IV:
   * (salt << 16) XOR (SSRC << 64) XOR (index << 16), index = ROC·2^16 + SEQ (RFC 3711 §4.1.1);
   * SRTCP places its 31-bit index the same way (high = index >>> 16, low = index & 0xffff).
   */
  #counter(salt: Buffer, ssrc: number, high: number, low: number): void {
    const iv = this.#iv;
    iv.fill(0);
    writeU32(iv, 4, ssrc);
    writeU32(iv, 8, high >>> 0);
    iv[12] = low >>> 8;
    iv[13] = low & 0xff;
    for (let i = 0; i < 14; i++) iv[i] = (iv[i] as number) ^ (salt[i] as number);
  }

  #rtpTag(key: KeyObject, data: Buffer, authLength: number, roc: number): Buffer {
    writeU32(this.#roc, 0, roc >>> 0);
    return createHmac('sha1', key).update(data.subarray(0, authLength)).update(this.#roc).digest();
  }
}

/** Compares the first `length` bytes of `tag` with the packet's tag, in time independent of where they differ. */
function tagMatches(tag: Buffer, packet: Buffer, at: number, length: number): boolean {
  let diff = 0;
  for (let i = 0; i < length; i++) diff |= (tag[i] as number) ^ (packet[at + i] as number);
  return diff === 0;
}
