/**
 * SRTP cost per packet, ours vs werift's, for a typical Opus frame (12-byte header, audio-level
 * extension, 80-byte payload). Run: npx tsx bench/srtp.ts
 */
import { randomBytes } from 'node:crypto';
import { RtpPacket, SrtpSession as WeriftSrtpSession } from 'werift';
import { SRTP_PROFILES } from '../src/media/bridge/srtp/profiles.js';
import { createSrtpSession } from '../src/media/bridge/srtp/srtp-session.js';
import type { SrtpProfileName } from '../src/media/bridge/types.js';

const ITERATIONS = 100_000;

function packet(seq: number): Buffer {
  const header = Buffer.from('900f0000000000000000abcd' + 'bede0001' + '10ff0000', 'hex');
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((seq * 960) >>> 0, 4);
  return Buffer.concat([header, randomBytes(80)]);
}

function measure(label: string, fn: (i: number) => void): void {
  for (let i = 0; i < 5000; i++) fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn(i);
  const us = Number(process.hrtime.bigint() - start) / ITERATIONS / 1000;
  console.log(`${label.padEnd(44)} ${us.toFixed(2)} µs/packet`);
}

for (const profile of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as SrtpProfileName[]) {
  const spec = SRTP_PROFILES[profile];
  const k1 = randomBytes(spec.keyLength);
  const s1 = randomBytes(spec.saltLength);
  const k2 = randomBytes(spec.keyLength);
  const s2 = randomBytes(spec.saltLength);
  const tx = createSrtpSession(profile, { localKey: k1, localSalt: s1, remoteKey: k2, remoteSalt: s2 });
  const rx = createSrtpSession(profile, { localKey: k2, localSalt: s2, remoteKey: k1, remoteSalt: s1 });
  const plain = Array.from({ length: ITERATIONS + 5000 }, (_, i) => packet(i));
  const protectedPackets = plain.map((p) => tx.protectRtp(p));

  let n = 0;
  measure(`ours   ${profile} protect`, () => tx.protectRtp(plain[n++ % plain.length]!));
  // unprotect works in place: give it fresh copies, as the socket would, and count the copy out.
  const copies = protectedPackets.map((p) => Buffer.from(p));
  let m = 0;
  measure(`ours   ${profile} unprotect`, () => {
    if (rx.unprotectRtp(copies[m++]!) === null) throw new Error('unprotect failed');
  });

  const config = {
    keys: { localMasterKey: k1, localMasterSalt: s1, remoteMasterKey: k2, remoteMasterSalt: s2 },
    profile: spec.id as 1 | 7,
  };
  const werift = new WeriftSrtpSession(config);
  const weriftRx = new WeriftSrtpSession({
    keys: { localMasterKey: k2, localMasterSalt: s2, remoteMasterKey: k1, remoteMasterSalt: s1 },
    profile: spec.id as 1 | 7,
  });
  let w = 0;
  measure(`werift ${profile} protect (+parse)`, () => {
    const parsed = RtpPacket.deSerialize(plain[w++ % plain.length]!);
    werift.encrypt(parsed.payload, parsed.header);
  });
  const generator = new WeriftSrtpSession(config);
  const fromWerift = plain.map((p) => {
    const parsed = RtpPacket.deSerialize(p);
    return generator.encrypt(parsed.payload, parsed.header);
  });
  let v = 0;
  measure(`werift ${profile} unprotect`, () => weriftRx.decrypt(fromWerift[v++ % fromWerift.length]!));
}
