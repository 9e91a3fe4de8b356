/**
 * Hostile datagrams into the media parsers: RTP (header extensions, audio level, mid), RTCP,
 * RFC 4733 events, the first-byte demux, STUN binding parsing, the prefilter budget and SRTP
 * unprotect. Each returns a result in range, undefined/null, or its typed parse error; and the
 * stateful ones (SRTP session, DTMF receiver, the caller's RTP receiver) still work on valid input
 * after the garbage.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyPacket, PacketKind, rtpHeaderLength, rtpPayloadType, rtpSequenceNumber, rtpSsrc, rtcpSenderSsrc } from '../../src/media/bridge/packet-demux.js';
import { processCertificate } from '../../src/media/bridge/certificate.js';
import { DtlsClientSession } from '../../src/media/bridge/dtls-client-session.js';
import { PrefilterBudget } from '../../src/media/bridge/rtp-prefilter.js';
import { SRTP_PROFILES, type SrtpMasterKeys } from '../../src/media/bridge/srtp/profiles.js';
import { createSrtpSession } from '../../src/media/bridge/srtp/srtp-session.js';
import { buildBindingRequest, isBinding, parseBindingRequest, parseBindingResponse, stunClass, stunTransactionId } from '../../src/media/bridge/stun-messages.js';
import type { SrtpProfileName } from '../../src/media/bridge/types.js';
import { CallerRtpReceiver } from '../../src/media/caller/rtp-receiver.js';
import { createCodec } from '../../src/media/codecs/index.js';
import { DtmfReceiver, decodeTelephoneEvent, encodeTelephoneEvent } from '../../src/media/rtp/dtmf.js';
import { findAudioLevelByte, readAudioLevel, readMid } from '../../src/media/rtp/header-extensions.js';
import { createRtpPacketView, getHeaderExtension, listHeaderExtensions, parseRtp, RtpParseError, serializeRtp, tryParseRtp } from '../../src/media/rtp/packet.js';
import { classifyPacket as classifyRtcpPort, isRtcp, isRtp, parseRtcp, RtcpParseError } from '../../src/media/rtp/rtcp.js';
import { silentLogger } from '../../src/log.js';
import { fuzzParams, hexFixture, regressionFixtures } from './fuzz-support.js';

/** A valid RTP packet with a one- or two-byte extension block, CSRCs and padding. */
function sampleRtp(seq = 1, opts: { twoByte?: boolean; ssrc?: number; pt?: number } = {}): Buffer {
  return serializeRtp({
    payloadType: opts.pt ?? 111,
    sequenceNumber: seq,
    timestamp: seq * 960,
    ssrc: opts.ssrc ?? 0x11223344,
    csrcs: [7, 8],
    extensions: [
      { id: 1, data: Uint8Array.of(0x85) },
      { id: 10, data: new TextEncoder().encode('audio') },
    ],
    ...(opts.twoByte ? { extensionForm: 'two-byte' as const } : {}),
    payload: randomBytes(20),
    paddingLength: 4,
  });
}

function sampleRtcp(): Buffer {
  const p = Buffer.alloc(8 + 24 + 12);
  p[0] = 0x81;
  p[1] = 201;
  p.writeUInt16BE(32 / 4 - 1, 2);
  p.writeUInt32BE(0x1111, 4);
  p.writeUInt32BE(0x2222, 8);
  p[32] = 0x80;
  p[33] = 203; // BYE after the RR: a compound packet
  p.writeUInt16BE(2, 34);
  p.writeUInt32BE(0x1111, 36);
  return p;
}

/** Bytes that are partly a real packet: a valid one with some bytes overwritten, cut or extended. */
function mutatedBytes(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.option(fc.nat()),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(([seed, writes, cut, tail]) => {
      const b = Buffer.from(seed);
      for (const [at, v] of writes) b[at % b.length] = v;
      const kept = cut === null ? b : b.subarray(0, cut % (b.length + 1));
      return Buffer.concat([kept, tail]);
    });
}

const firstByteClass = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 20, max: 63 }), fc.integer({ min: 128, max: 191 }), fc.integer({ min: 0, max: 255 }));

/** Random datagrams whose first byte lands in each demux class. */
const randomDatagram: fc.Arbitrary<Buffer> = fc
  .tuple(firstByteClass, fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 120 }))
  .map(([b0, b1, rest]) => Buffer.concat([Buffer.of(b0, b1), rest]))
  .chain((b) => fc.nat({ max: b.length }).map((n) => b.subarray(0, n)));

const rtpish = fc.oneof(randomDatagram, mutatedBytes([sampleRtp(), sampleRtp(2, { twoByte: true })]));
const rtcpish = fc.oneof(randomDatagram, mutatedBytes([sampleRtcp()]));

function checkRtp(buf: Buffer): void {
  const view = tryParseRtp(buf);
  let thrown: unknown;
  try {
    parseRtp(buf);
  } catch (err) {
    thrown = err;
  }
  if (view === undefined) {
    expect(thrown).toBeInstanceOf(RtpParseError);
    return;
  }
  expect(thrown).toBeUndefined();
  expect(view.headerLength).toBeLessThanOrEqual(buf.length);
  expect(view.headerLength + view.payload.length + view.paddingLength).toBeLessThanOrEqual(buf.length);
  for (const el of listHeaderExtensions(view)) expect(el.data.length).toBeLessThanOrEqual(view.extensionData.length);
  for (let id = 0; id <= 15; id++) {
    const data = getHeaderExtension(view, id);
    if (data !== undefined) {
      readAudioLevel(data);
      readMid(data);
    }
    const level = findAudioLevelByte(view, id);
    expect(level >= -1 && level <= 255).toBe(true);
  }
  decodeTelephoneEvent(view.payload);
}

function checkRtcp(buf: Buffer): void {
  try {
    for (const p of parseRtcp(buf)) {
      if (p.kind !== 'other') for (const r of p.reports) expect(r.cumulativeLost >= -0x800000 && r.cumulativeLost <= 0x7fffff).toBe(true);
    }
  } catch (err) {
    if (!(err instanceof RtcpParseError)) throw err;
  }
}

/** What the demux's accessors may read once a datagram is classified. */
function checkDemux(buf: Buffer): void {
  const kind = classifyPacket(buf);
  classifyRtcpPort(buf);
  isRtcp(buf);
  isRtp(buf);
  if (kind === PacketKind.Rtp) {
    rtpSsrc(buf);
    rtpPayloadType(buf);
    rtpSequenceNumber(buf);
    const len = rtpHeaderLength(buf);
    expect(len === -1 || (len >= 12 && len <= buf.length)).toBe(true);
    new PrefilterBudget().skip(buf, () => false);
  } else if (kind === PacketKind.Rtcp) {
    rtcpSenderSsrc(buf);
  } else if (kind === PacketKind.Stun) {
    stunClass(buf);
    isBinding(buf);
    stunTransactionId(buf);
  }
}

const KEY = Buffer.from('stun-key-of-the-remote-peer');
const stunRequest = buildBindingRequest({ username: 'a:b', key: KEY, priority: 100, tieBreaker: 7n, useCandidate: true }).bytes;
const stunish = fc.oneof(
  mutatedBytes([stunRequest]),
  fc.uint8Array({ minLength: 20, maxLength: 120 }).map((b) => {
    const buf = Buffer.from(b);
    buf[0] = buf[0]! & 0x03;
    return buf;
  }),
);

function checkStun(buf: Buffer): void {
  const req = parseBindingRequest(buf, KEY);
  if (req !== undefined) expect(typeof req.username).toBe('string');
  const res = parseBindingResponse(buf, KEY);
  if (res !== undefined) expect(typeof res.success).toBe('boolean');
}

function keyPair(profile: SrtpProfileName): { a: SrtpMasterKeys; b: SrtpMasterKeys } {
  const spec = SRTP_PROFILES[profile];
  const [k1, s1, k2, s2] = [randomBytes(spec.keyLength), randomBytes(spec.saltLength), randomBytes(spec.keyLength), randomBytes(spec.saltLength)];
  return { a: { localKey: k1, localSalt: s1, remoteKey: k2, remoteSalt: s2 }, b: { localKey: k2, localSalt: s2, remoteKey: k1, remoteSalt: s1 } };
}

describe('fuzz: RTP, RTCP, STUN and SRTP records', () => {
  it('RTP parsing gives a view inside the datagram or RtpParseError; extensions stay in bounds', () => {
    fc.assert(fc.property(rtpish, checkRtp), fuzzParams(0x47e001, 1500));
  });

  it('RTCP parsing gives reports or RtcpParseError', () => {
    fc.assert(fc.property(rtcpish, checkRtcp), fuzzParams(0x47e002, 1000));
  });

  it('the first-byte demux classifies every datagram and its accessors stay in bounds', () => {
    fc.assert(fc.property(fc.oneof(rtpish, rtcpish, stunish), checkDemux), fuzzParams(0x47e003, 1500));
  });

  it('STUN binding parsing authenticates or gives undefined', () => {
    fc.assert(fc.property(stunish, checkStun), fuzzParams(0x47e004, 500));
  });

  for (const profile of ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] as const) {
    it(`SRTP (${profile}) unprotect drops garbage with null and still decrypts the next valid packet`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(rtpish, rtcpish), { maxLength: 12 }), fc.nat({ max: 0xffff }), (garbage, seq) => {
          const keys = keyPair(profile);
          const ours = createSrtpSession(profile, keys.a);
          const peer = createSrtpSession(profile, keys.b);
          // Garbage protected by the real peer too, then damaged: authentication must catch it.
          const forged = peer.protectRtp(sampleRtp((seq + 1) & 0xffff));
          forged[forged.length - 1] = forged[forged.length - 1]! ^ 1;
          for (const g of [...garbage, forged]) {
            const kind = classifyPacket(g);
            const out = kind === PacketKind.Rtcp ? ours.unprotectRtcp(Buffer.from(g)) : kind === PacketKind.Rtp ? ours.unprotectRtp(Buffer.from(g)) : null;
            expect(out).toBeNull();
          }
          const clear = sampleRtp(seq);
          expect(ours.unprotectRtp(peer.protectRtp(clear))?.equals(clear)).toBe(true);
          const rtcp = sampleRtcp();
          expect(ours.unprotectRtcp(peer.protectRtcp(rtcp))?.equals(rtcp)).toBe(true);
        }),
        fuzzParams(0x47e005, 150),
      );
    });
  }

  it('the DTMF receiver still reports a new digit after garbage events', () => {
    const BASE = 0x7000_0000;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.nat({ max: 2 ** 20 })), { maxLength: 20 }),
        fc.integer({ min: 0, max: 15 }),
        (garbage, event) => {
          const rx = new DtmfReceiver({ clockRate: 8000 });
          for (const [payload, offset] of garbage) rx.receive(payload, BASE + offset);
          // Newer than any garbage by far more than the receiver's 10 s reorder horizon.
          const press = rx.receive(encodeTelephoneEvent({ event, end: false, volume: 10, duration: 160 }), BASE + 2 ** 21);
          expect(press?.event).toBe(event);
        },
      ),
      fuzzParams(0x47e006, 400),
    );
  });

  for (const codecName of ['PCMU', 'G722', 'opus'] as const) {
    it(`the caller's RTP receiver (${codecName}) keeps working after garbage packets`, () => {
      fc.assert(
        fc.property(fc.array(rtpish, { maxLength: 25 }), (garbage) => {
          const codec = createCodec(codecName);
          const digits: string[] = [];
          const pt = codecName === 'PCMU' ? 0 : codecName === 'G722' ? 9 : 111;
          const rx = new CallerRtpReceiver({ codec, payloadType: pt, telephoneEventPt: 101 }, (d) => digits.push(d), { minDelayMs: 40 });
          let now = 0;
          const view = createRtpPacketView();
          for (const g of garbage) {
            now += 7;
            // The transport drops what does not parse and payload types the receiver refuses.
            const v = tryParseRtp(g, view);
            if (v !== undefined && rx.accepts(v.payloadType)) rx.receive(v, g.length, now);
            if (now % 20 < 7) rx.pull();
          }
          // A new stream (its own SSRC, well after the garbage) is decoded, and a digit is heard.
          now += 2000;
          const phone = createCodec(codecName);
          let heard = 0;
          for (let i = 0; i < 15; i++) {
            const payload = phone.encode(new Int16Array(phone.frameSamples).map((_, k) => Math.round(8000 * Math.sin(k / 3))));
            const bytes = serializeRtp({ payloadType: pt, sequenceNumber: 100 + i, timestamp: 5000 + i * phone.timestampStep, ssrc: 0xfeedbeef, payload });
            now += 20;
            rx.receive(parseRtp(bytes), bytes.length, now);
            const frame = rx.pull();
            if (frame !== undefined && frame.some((s) => s !== 0)) heard++;
          }
          const te = serializeRtp({ payloadType: 101, sequenceNumber: 115, timestamp: 5000 + 15 * phone.timestampStep, ssrc: 0xfeedbeef, payload: encodeTelephoneEvent({ event: 5, end: false, volume: 10, duration: 160 }) });
          rx.receive(parseRtp(te), te.length, now + 20);
          expect(heard).toBeGreaterThan(5);
          expect(digits.at(-1)).toBe('5');
        }),
        fuzzParams(0x47e007, codecName === 'opus' ? 40 : 80),
      );
    });
  }

  const certificate = processCertificate();
  for (const f of regressionFixtures('packets')) {
    it(`regression: ${f.name}`, async () => {
      const buf = hexFixture(f.text);
      checkRtp(buf);
      checkRtcp(buf);
      checkDemux(buf);
      if (classifyPacket(buf) === PacketKind.Stun) checkStun(buf);
      if (classifyPacket(buf) === PacketKind.Dtls) {
        const dtls = new DtlsClientSession({
          certificate: await certificate,
          profiles: ['AES_CM_128_HMAC_SHA1_80'],
          localAddress: { address: '127.0.0.1', family: 'IPv4', port: 9 },
          send: () => {},
          onPeerClosed: () => {},
          logger: silentLogger(),
        });
        try {
          dtls.handleDatagram(buf, ['127.0.0.1', 10000]);
        } finally {
          dtls.close();
        }
      }
    });
  }
});
