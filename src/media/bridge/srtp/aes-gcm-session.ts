import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { rtpHeaderLength } from '../packet-demux.js';
import { deriveSessionKeys } from './key-derivation.js';
import type { SrtpMasterKeys } from './profiles.js';
import { SrtpStreams } from './rollover.js';
import { newCounters, readU32, writeU32, type SrtpCounters, type SrtpSession } from './srtp-session.js';

const TAG = 16;
const SRTCP_INDEX = 4;
const E_FLAG = 0x80000000;

class GcmDirection {
  readonly rtpKey: KeyObject;
  readonly rtpSalt: Buffer;
  readonly rtcpKey: KeyObject;
  readonly rtcpSalt: Buffer;

  constructor(masterKey: Buffer, masterSalt: Buffer) {
    const k = deriveSessionKeys(masterKey, masterSalt, { salt: 12, auth: 0 });
    this.rtpKey = createSecretKey(k.rtpKey);
    this.rtpSalt = k.rtpSalt;
    this.rtcpKey = createSecretKey(k.rtcpKey);
    this.rtcpSalt = k.rtcpSalt;
  }
}

/**
 * AEAD_AES_128_GCM (RFC 7714): the RTP header (and for SRTCP the first 8 bytes plus the
 * E-flag/index word) is authenticated, the rest encrypted; the 16-byte tag replaces HMAC.
 */
export class AesGcmSrtpSession implements SrtpSession {
  readonly profile = 'AEAD_AES_128_GCM' as const;
  readonly counters: SrtpCounters = newCounters();
  readonly #out: GcmDirection;
  readonly #in: GcmDirection;
  readonly #streams = new SrtpStreams();
  readonly #iv = Buffer.alloc(12);
  readonly #aad = Buffer.alloc(12);

  constructor(keys: SrtpMasterKeys) {
    this.#out = new GcmDirection(keys.localKey, keys.localSalt);
    this.#in = new GcmDirection(keys.remoteKey, keys.remoteSalt);
  }

  protectRtp(packet: Buffer): Buffer {
    const length = packet.length;
    const headerLength = rtpHeaderLength(packet);
    if (headerLength < 0) throw new RangeError('cannot protect a malformed RTP packet');
    const ssrc = readU32(packet, 8);
    const seq = ((packet[2] as number) << 8) | (packet[3] as number);
    const roc = this.#streams.sendRtpRoc(ssrc, seq);

    const out = Buffer.allocUnsafe(length + TAG);
    packet.copy(out, 0, 0, headerLength);
    const cipher = createCipheriv('aes-128-gcm', this.#out.rtpKey, this.#rtpIv(this.#out.rtpSalt, ssrc, roc, seq));
    cipher.setAAD(packet.subarray(0, headerLength));
    cipher.update(packet.subarray(headerLength, length)).copy(out, headerLength);
    cipher.final();
    cipher.getAuthTag().copy(out, length);
    return out;
  }

  unprotectRtp(packet: Buffer): Buffer | null {
    const tagAt = packet.length - TAG;
    const headerLength = rtpHeaderLength(packet, tagAt);
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
    const decipher = createDecipheriv('aes-128-gcm', this.#in.rtpKey, this.#rtpIv(this.#in.rtpSalt, ssrc, roc, seq));
    decipher.setAAD(packet.subarray(0, headerLength));
    decipher.setAuthTag(packet.subarray(tagAt));
    const plain = decipher.update(packet.subarray(headerLength, tagAt));
    if (!finalOk(decipher)) {
      this.counters.authFailures++;
      return null;
    }
    plain.copy(packet, headerLength);
    this.#streams.acceptRtp(ssrc, seq, roc);
    return packet.subarray(0, tagAt);
  }

  protectRtcp(packet: Buffer): Buffer {
    const length = packet.length;
    if (length < 8) throw new RangeError('cannot protect a malformed RTCP packet');
    const ssrc = readU32(packet, 4);
    const index = this.#streams.nextRtcpIndex(ssrc);
    const eIndex = (E_FLAG | index) >>> 0;

    const out = Buffer.allocUnsafe(length + TAG + SRTCP_INDEX);
    packet.copy(out, 0, 0, 8);
    const cipher = createCipheriv('aes-128-gcm', this.#out.rtcpKey, this.#rtcpIv(this.#out.rtcpSalt, ssrc, index));
    cipher.setAAD(this.#rtcpAad(packet, eIndex));
    cipher.update(packet.subarray(8, length)).copy(out, 8);
    cipher.final();
    cipher.getAuthTag().copy(out, length);
    writeU32(out, length + TAG, eIndex);
    return out;
  }

  unprotectRtcp(packet: Buffer): Buffer | null {
    const indexAt = packet.length - SRTCP_INDEX;
    const tagAt = indexAt - TAG;
    if (tagAt < 8) {
      this.counters.malformed++;
      return null;
    }
    const ssrc = readU32(packet, 4);
    const eIndex = readU32(packet, indexAt);
    const index = eIndex & 0x7fffffff;
    if (!this.#streams.receiveRtcpFresh(ssrc, index)) {
      this.counters.replays++;
      return null;
    }
    const encrypted = (eIndex & E_FLAG) !== 0;
    const decipher = createDecipheriv('aes-128-gcm', this.#in.rtcpKey, this.#rtcpIv(this.#in.rtcpSalt, ssrc, index));
    decipher.setAuthTag(packet.subarray(tagAt, indexAt));
    let plain: Buffer | undefined;
    if (encrypted) {
      decipher.setAAD(this.#rtcpAad(packet, eIndex));
      plain = decipher.update(packet.subarray(8, tagAt));
    } else {
      // Unencrypted SRTCP authenticates the whole packet plus the index word as AAD.
      decipher.setAAD(Buffer.concat([packet.subarray(0, tagAt), packet.subarray(indexAt)]));
    }
    if (!finalOk(decipher)) {
      this.counters.authFailures++;
      return null;
    }
    plain?.copy(packet, 8);
    this.#streams.acceptRtcp(ssrc, index);
    return packet.subarray(0, tagAt);
  }

  /** RFC 7714 §8.1: (0x0000 ‖ SSRC ‖ ROC ‖ SEQ) XOR salt. */
  #rtpIv(salt: Buffer, ssrc: number, roc: number, seq: number): Buffer {
    const iv = this.#iv;
    iv[0] = 0;
    iv[1] = 0;
    writeU32(iv, 2, ssrc);
    writeU32(iv, 6, roc >>> 0);
    iv[10] = seq >>> 8;
    iv[11] = seq & 0xff;
    for (let i = 0; i < 12; i++) iv[i] = (iv[i] as number) ^ (salt[i] as number);
    return iv;
  }

  /** RFC 7714 §9.1: (0x0000 ‖ SSRC ‖ 0x0000 ‖ 0 ‖ SRTCP index) XOR salt. */
  #rtcpIv(salt: Buffer, ssrc: number, index: number): Buffer {
    const iv = this.#iv;
    iv[0] = 0;
    iv[1] = 0;
    writeU32(iv, 2, ssrc);
    iv[6] = 0;
    iv[7] = 0;
    writeU32(iv, 8, index);
    for (let i = 0; i < 12; i++) iv[i] = (iv[i] as number) ^ (salt[i] as number);
    return iv;
  }

  /** RFC 7714 §9.2: the first 8 bytes of the RTCP packet, then E-flag ‖ SRTCP index. */
  #rtcpAad(packet: Buffer, eIndex: number): Buffer {
    packet.copy(this.#aad, 0, 0, 8);
    writeU32(this.#aad, 8, eIndex);
    return this.#aad;
  }
}

function finalOk(decipher: { final(): Buffer }): boolean {
  try {
    decipher.final();
    return true;
  } catch {
    return false;
  }
}
