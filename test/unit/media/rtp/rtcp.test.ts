import { describe, expect, it } from 'vitest';
import {
  buildReceiverReport,
  buildSenderReport,
  classifyPacket,
  isRtcp,
  isRtp,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  RtcpParseError,
  serializeRtp,
  type ReportBlock,
} from '../../../../src/media/rtp/index.js';

const block: ReportBlock = {
  ssrc: 0x11223344,
  fractionLost: 25,
  cumulativeLost: -3,
  highestSeq: 0x0001fffe,
  jitter: 480,
  lastSr: 0xabcdef01,
  delaySinceLastSr: 65536,
};

describe('RTCP', () => {
  it('round-trips a sender report with report blocks', () => {
    const ntp = ntpFromUnixMs(Date.UTC(2024, 0, 1, 0, 0, 0, 500));
    const sr = buildSenderReport(
      0xcafebabe,
      { ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: 0xfffffff0, packetCount: 1000, octetCount: 80000 },
      [block, { ...block, ssrc: 5, cumulativeLost: 0x7fffff }],
    );
    expect(sr.length).toBe(28 + 2 * 24);
    expect(sr[1]).toBe(200);
    const [p, ...rest] = parseRtcp(sr);
    expect(rest).toEqual([]);
    if (p?.kind !== 'sr') throw new Error('expected SR');
    expect(p.ssrc).toBe(0xcafebabe);
    expect(p.ntpSeconds).toBe(ntp.seconds);
    expect(p.ntpFraction).toBe(0x80000000);
    expect(p.rtpTimestamp).toBe(0xfffffff0);
    expect(p.packetCount).toBe(1000);
    expect(p.octetCount).toBe(80000);
    expect(p.reports).toEqual([block, { ...block, ssrc: 5, cumulativeLost: 0x7fffff }]);
  });

  it('round-trips receiver reports, including an empty one, in a compound packet', () => {
    const compound = Buffer.concat([buildReceiverReport(7), buildReceiverReport(8, [block])]);
    const packets = parseRtcp(compound);
    expect(packets).toEqual([
      { kind: 'rr', ssrc: 7, reports: [] },
      { kind: 'rr', ssrc: 8, reports: [block] },
    ]);
  });

  it('returns other packet types raw', () => {
    const bye = Buffer.from([0x81, 203, 0, 1, 0, 0, 0, 9]);
    const packets = parseRtcp(Buffer.concat([buildReceiverReport(1), bye]));
    expect(packets[1]).toMatchObject({ kind: 'other', type: 203, count: 1 });
  });

  it('rejects a length that runs past the end', () => {
    const rr = buildReceiverReport(1, [block]);
    expect(() => parseRtcp(rr.subarray(0, rr.length - 4))).toThrow(RtcpParseError);
  });

  it('computes the NTP timestamp and its middle 32 bits', () => {
    const t = ntpFromUnixMs(0);
    expect(t).toEqual({ seconds: 2208988800, fraction: 0 });
    expect(ntpMiddle32(0x12345678, 0x9abcdef0)).toBe(0x56789abc);
  });

  it('tells RTCP from RTP on a muxed port (RFC 5761) and classifies STUN/DTLS (RFC 7983)', () => {
    const rtp = serializeRtp({ payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 1, marker: true, payload: Uint8Array.of(1) });
    const rtpPt0 = serializeRtp({ payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: Uint8Array.of(1) });
    const rr = buildReceiverReport(1);
    expect(isRtcp(rr)).toBe(true);
    expect(isRtp(rr)).toBe(false);
    expect(isRtcp(rtp)).toBe(false);
    expect(isRtp(rtp)).toBe(true);
    expect(isRtp(rtpPt0)).toBe(true);
    expect(classifyPacket(rr)).toBe('rtcp');
    expect(classifyPacket(rtp)).toBe('rtp');
    expect(classifyPacket(Uint8Array.of(0x00, 0x01, 0, 0))).toBe('stun');
    expect(classifyPacket(Uint8Array.of(22, 0xfe, 0xfd))).toBe('dtls');
    expect(classifyPacket(Uint8Array.of(70))).toBe('unknown');
  });
});
