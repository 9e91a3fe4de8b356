/**
 * What SDES-SRTP on the caller's leg costs per call: protect (what we send) and unprotect (what
 * the phone sends) of a 20 ms G.711 packet (12-byte header, 160-byte payload) and a G.722 one,
 * with AES_CM_128_HMAC_SHA1_80 and _32; CPU time per packet and per call (50 packets a second
 * each way). Run: npx tsx bench/caller-srtp.ts
 */
import { randomBytes } from 'node:crypto';
import { createSdesSession, type SdesSuite } from '../src/media/caller/sdes.js';
import { writeRtp } from '../src/media/rtp/packet.js';

const ITERATIONS = 50_000;

function cpuUsPer(fn: (i: number) => void): number {
  for (let i = 0; i < 2000; i++) fn(i);
  const start = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) fn(i + 2000);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ITERATIONS;
}

function packet(seq: number, payload: Buffer): Buffer {
  const buf = Buffer.alloc(12 + payload.length);
  writeRtp({ payloadType: 0, sequenceNumber: seq & 0xffff, timestamp: (seq * 160) >>> 0, ssrc: 0x12345678, marker: false, payload }, buf, 0);
  return buf;
}

for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as SdesSuite[]) {
  const a = randomBytes(30);
  const b = randomBytes(30);
  const payload = randomBytes(160);
  const sender = createSdesSession(suite, a, b);
  const receiver = createSdesSession(suite, b, a);
  const plain = packet(0, payload);
  const protect = cpuUsPer((i) => {
    plain.writeUInt16BE(i & 0xffff, 2);
    sender.protectRtp(plain);
  });
  const forReceiver = Array.from({ length: ITERATIONS + 2000 }, (_, i) => sender.protectRtp(packet(i + 100_000, payload)));
  const unprotect = cpuUsPer((i) => {
    if (receiver.unprotectRtp(forReceiver[i]!) === null) throw new Error('did not authenticate');
  });
  const perCall = (protect + unprotect) * 50;
  console.log(
    `${suite}: protect ${protect.toFixed(2)} µs, unprotect ${unprotect.toFixed(2)} µs per 172-byte packet; ` +
      `${perCall.toFixed(0)} µs of CPU per call-second (${(perCall / 1e4).toFixed(3)} % of a core)`,
  );
}
