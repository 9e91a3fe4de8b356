import { describe, expect, it } from 'vitest';
import { ReportFeedback } from '../../../../src/media/rtp/rtcp-feedback.js';
import { buildReceiverReport, buildSenderReport, ntpFromUnixMs, ntpMiddle32, type ReportBlock } from '../../../../src/media/rtp/rtcp.js';

const OURS = 0x11223344;

function block(over: Partial<ReportBlock>): ReportBlock {
  return { ssrc: OURS, fractionLost: 0, cumulativeLost: 0, highestSeq: 100, jitter: 0, lastSr: 0, delaySinceLastSr: 0, ...over };
}

function lsrAt(wallMs: number): number {
  const n = ntpFromUnixMs(wallMs);
  return ntpMiddle32(n.seconds, n.fraction);
}

describe('ReportFeedback', () => {
  it('measures the round trip from LSR/DLSR against the time our report left', () => {
    const f = new ReportFeedback(OURS);
    const lsr = lsrAt(1_700_000_000_000);
    f.sentReport(lsr, 10_000);
    // The bridge held our SR 250 ms (DLSR in 1/65536 s) and its RR arrives 290 ms after ours left.
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: lsr, delaySinceLastSr: 250 * 65.536 })]), 10_290);
    expect(f.stats()).toMatchObject({ rttMs: 40, rttSamples: 1 });
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: lsr, delaySinceLastSr: 1250 * 65.536 })]), 11_310);
    expect(f.stats().rttMs).toBe(60);
    expect(f.stats().rttMsSum).toBeCloseTo(100, 6);
    expect(f.statsFields()).toEqual({ rttMs: 60, rttMsSum: 100, rttSamples: 2, remotePacketsLost: 0, remoteJitterMs: 0 });
  });

  it("keeps the bridge's loss and jitter for our stream, from SR and RR blocks alike", () => {
    const f = new ReportFeedback(OURS);
    const sr = buildSenderReport(0x99, { ntpSeconds: 1, ntpFraction: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0 }, [
      block({ ssrc: 0x5555, cumulativeLost: 99 }),
      block({ cumulativeLost: 7, jitter: 480 }),
    ]);
    f.onRtcp(sr, 1000);
    expect(f.stats()).toMatchObject({ remotePacketsLost: 7, remoteJitterMs: 10, rttMs: undefined, rttSamples: 0 });
  });

  it('ignores reports about unknown sender reports, no LSR, or a negative round trip', () => {
    const f = new ReportFeedback(OURS);
    const lsr = lsrAt(1_700_000_000_000);
    f.sentReport(lsr, 10_000);
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: lsr + 1 })]), 10_100);
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: 0 })]), 10_100);
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: lsr, delaySinceLastSr: 500 * 65.536 })]), 10_100);
    f.onRtcp(Buffer.from([0x81, 201, 0, 40]), 10_100);
    expect(f.stats().rttSamples).toBe(0);
    expect(f.statsFields()).not.toHaveProperty('rttMs');
  });

  it('counts a round trip a millisecond below zero (the far end rounds DLSR up) as zero', () => {
    const f = new ReportFeedback(OURS);
    const lsr = lsrAt(1_700_000_000_000);
    f.sentReport(lsr, 10_000);
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: lsr, delaySinceLastSr: 21 * 65.536 })]), 10_020);
    expect(f.stats()).toMatchObject({ rttMs: 0, rttSamples: 1 });
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: lsr, delaySinceLastSr: 23 * 65.536 })]), 10_020);
    expect(f.stats()).toMatchObject({ rttMs: 0, rttSamples: 1 });
  });

  it('forgets older sender reports than the last eight', () => {
    const f = new ReportFeedback(OURS);
    const first = lsrAt(1_700_000_000_000);
    for (let i = 0; i < 9; i++) f.sentReport(lsrAt(1_700_000_000_000 + i * 5000), i * 5000);
    f.onRtcp(buildReceiverReport(0x99, [block({ lastSr: first })]), 50_000);
    expect(f.stats().rttSamples).toBe(0);
  });
});
