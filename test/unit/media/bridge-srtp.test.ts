import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RtpPacket, SrtcpSession, SrtpSession as WeriftSrtpSession } from 'werift';
import { deriveSessionKeys } from '../../../src/media/bridge/srtp/key-derivation.js';
import { SRTP_PROFILES, type SrtpMasterKeys } from '../../../src/media/bridge/srtp/profiles.js';
import { estimateRoc } from '../../../src/media/bridge/srtp/rollover.js';
import { ReplayWindow } from '../../../src/media/bridge/srtp/replay-window.js';
import { createSrtpSession } from '../../../src/media/bridge/srtp/srtp-session.js';
import type { SrtpProfileName } from '../../../src/media/bridge/types.js';

function rtp(ssrc: number, seq: number, payload: Buffer, opts: { ext?: boolean; pt?: number } = {}): Buffer {
  const ext = opts.ext ? Buffer.from([0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00]) : Buffer.alloc(0);
  const header = Buffer.alloc(12);
  header[0] = 0x80 | (opts.ext ? 0x10 : 0);
  header[1] = opts.pt ?? 111;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 960, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, ext, payload]);
}

function receiverReport(ssrc: number): Buffer {
  const p = Buffer.alloc(8 + 24);
  p[0] = 0x81; // V=2, RC=1
  p[1] = 201;
  p.writeUInt16BE(p.length / 4 - 1, 2);
  p.writeUInt32BE(ssrc, 4);
  p.writeUInt32BE(0x11223344, 8);
  return p;
}

function keyPair(profile: SrtpProfileName): { a: SrtpMasterKeys; b: SrtpMasterKeys } {
  const spec = SRTP_PROFILES[profile];
  const k1 = randomBytes(spec.keyLength);
  const s1 = randomBytes(spec.saltLength);
  const k2 = randomBytes(spec.keyLength);
  const s2 = randomBytes(spec.saltLength);
  return {
    a: { localKey: k1, localSalt: s1, remoteKey: k2, remoteSalt: s2 },
    b: { localKey: k2, localSalt: s2, remoteKey: k1, remoteSalt: s1 },
  };
}

function weriftConfig(keys: SrtpMasterKeys, profile: SrtpProfileName) {
  return {
    keys: {
      localMasterKey: keys.localKey,
      localMasterSalt: keys.localSalt,
      remoteMasterKey: keys.remoteKey,
      remoteMasterSalt: keys.remoteSalt,
    },
    profile: SRTP_PROFILES[profile].id as 1 | 7,
  };
}

describe('SRTP key derivation', () => {
  it('matches the RFC 3711 appendix B.3 test vectors', () => {
    const keys = deriveSessionKeys(
      Buffer.from('E1F97A0D3E018BE0D64FA32C06DE4139', 'hex'),
      Buffer.from('0EC675AD498AFEEBB6960B3AABE6', 'hex'),
      { salt: 14, auth: 20 },
    );
    expect(keys.rtpKey.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(keys.rtpSalt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(keys.rtpAuthKey.toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
  });
});

describe('replay window and rollover', () => {
  it('accepts reordered packets once and rejects duplicates and packets older than the window', () => {
    const w = new ReplayWindow();
    for (const i of [10, 12, 11]) {
      expect(w.isFresh(i)).toBe(true);
      w.accept(i);
    }
    expect(w.isFresh(11)).toBe(false);
    expect(w.isFresh(13)).toBe(true);
    w.accept(300);
    expect(w.isFresh(12)).toBe(false); // fell out of the 128-entry window
    expect(w.isFresh(200)).toBe(true);
  });

  it('estimates the rollover counter across a sequence-number wrap in both directions', () => {
    expect(estimateRoc(0, 65530, 3)).toBe(1); // wrapped forward
    expect(estimateRoc(1, 2, 65533)).toBe(0); // late packet from before the wrap
    expect(estimateRoc(1, 40000, 40100)).toBe(1);
    expect(estimateRoc(0, 100, 65000)).toBe(0); // no cycle before the first
  });
});

describe.each(['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as const)('SRTP session %s', (profile) => {
  it('round-trips RTP from several SSRCs and keeps the header intact', () => {
    const { a, b } = keyPair(profile);
    const tx = createSrtpSession(profile, a);
    const rx = createSrtpSession(profile, b);
    for (const ssrc of [1, 0xdeadbeef, 42]) {
      for (let seq = 100; seq < 105; seq++) {
        const plain = rtp(ssrc, seq, randomBytes(80 + seq), { ext: seq % 2 === 0 });
        const protectedPacket = tx.protectRtp(plain);
        expect(protectedPacket.length).toBe(plain.length + SRTP_PROFILES[profile].rtpOverhead);
        expect(protectedPacket.subarray(plain.length - 80 - seq).equals(plain.subarray(plain.length - 80 - seq))).toBe(
          false,
        );
        const out = rx.unprotectRtp(Buffer.from(protectedPacket));
        expect(out?.equals(plain)).toBe(true);
      }
    }
    expect(rx.counters).toEqual({ authFailures: 0, replays: 0, malformed: 0 });
  });

  it('drops tampered packets and replays, counting each', () => {
    const { a, b } = keyPair(profile);
    const tx = createSrtpSession(profile, a);
    const rx = createSrtpSession(profile, b);
    const first = tx.protectRtp(rtp(7, 1, randomBytes(60)));
    expect(rx.unprotectRtp(Buffer.from(first))).not.toBeNull();
    expect(rx.unprotectRtp(Buffer.from(first))).toBeNull();
    expect(rx.counters.replays).toBe(1);
    const second = tx.protectRtp(rtp(7, 2, randomBytes(60)));
    second[20] = (second[20] as number) ^ 1;
    expect(rx.unprotectRtp(second)).toBeNull();
    expect(rx.counters.authFailures).toBe(1);
    expect(rx.unprotectRtp(Buffer.alloc(5, 0x80))).toBeNull();
    expect(rx.counters.malformed).toBe(1);
  });

  it('keeps decrypting across a sequence-number wrap', () => {
    const { a, b } = keyPair(profile);
    const tx = createSrtpSession(profile, a);
    const rx = createSrtpSession(profile, b);
    for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
      const plain = rtp(9, seq, randomBytes(40));
      expect(rx.unprotectRtp(tx.protectRtp(plain))?.equals(plain)).toBe(true);
    }
  });

  it('round-trips RTCP', () => {
    const { a, b } = keyPair(profile);
    const tx = createSrtpSession(profile, a);
    const rx = createSrtpSession(profile, b);
    for (let i = 0; i < 3; i++) {
      const plain = receiverReport(0xabc + i);
      expect(rx.unprotectRtcp(tx.protectRtcp(plain))?.equals(plain)).toBe(true);
    }
    const bad = tx.protectRtcp(receiverReport(5));
    bad[10] = (bad[10] as number) ^ 0xff;
    expect(rx.unprotectRtcp(bad)).toBeNull();
    expect(rx.counters.authFailures).toBe(1);
  });

  it('interoperates with the independent werift SRTP implementation', () => {
    const { a, b } = keyPair(profile);
    const ours = createSrtpSession(profile, a);
    const theirs = new WeriftSrtpSession(weriftConfig(b, profile));
    const theirsRtcp = new SrtcpSession(weriftConfig(b, profile));
    const plain = rtp(0x1234, 500, randomBytes(120), { ext: true });
    expect(theirs.decrypt(ours.protectRtp(plain)).equals(plain)).toBe(true);
    const parsed = RtpPacket.deSerialize(plain);
    const fromWerift = theirs.encrypt(parsed.payload, parsed.header);
    expect(ours.unprotectRtp(Buffer.from(fromWerift))?.equals(plain)).toBe(true);
    const rr = receiverReport(0x99);
    expect(theirsRtcp.decrypt(ours.protectRtcp(rr)).equals(rr)).toBe(true);
    expect(ours.unprotectRtcp(theirsRtcp.encrypt(rr))?.equals(rr)).toBe(true);
  });
});
