import { describe, expect, it } from 'vitest';
import { callQuality } from '../../../src/call/call-quality.js';
import type { CallMediaStats } from '../../../src/media/call-media.js';

function stats(over: { caller?: Partial<CallMediaStats['caller']>; bridge?: Partial<CallMediaStats['bridge']> } = {}): CallMediaStats {
  return {
    caller: { packetsReceived: 950, packetsLost: 50, packetsSent: 1000, jitterMs: 4, codec: 'PCMU', ...over.caller },
    bridge: { packetsReceived: 1000, packetsLost: 0, packetsSent: 1000, srtpFailures: 0, connected: true, jitterMs: 2, ...over.bridge },
  };
}

describe('callQuality', () => {
  it('reports each leg and each direction, with loss as a share of what was expected', () => {
    const q = callQuality(stats({ bridge: { rttMs: 30, rttMsSum: 100, rttSamples: 4, remotePacketsLost: 10, remoteJitterMs: 3 } }));
    expect(q.phone).toMatchObject({ codec: 'PCMU', packetsReceived: 950, packetsLost: 50, lossPct: 5, jitterMs: 4, rttMs: null });
    expect(q.bridge).toMatchObject({ codec: 'opus', lossPct: 0, rttMs: 30, rttAvgMs: 25, remoteLossPct: 1, remoteJitterMs: 3 });
    // Phone → meeting crosses both legs: 5 % then 1 %.
    expect(q.phoneToMeeting.lossPct).toBeCloseTo(5.95, 2);
    expect(q.meetingToPhone).toMatchObject({ packets: 1000, lossPct: 0, rttMs: 30 });
    expect(q.phoneToMeeting.mos).toBeLessThan(q.meetingToPhone.mos ?? 0);
  });

  it('leaves what was never measured as null, and no MOS before any audio', () => {
    const q = callQuality(stats({ caller: { packetsReceived: 0, packetsLost: 0, codec: undefined }, bridge: { packetsReceived: 0, jitterMs: undefined } }));
    expect(q.phone.codec).toBeNull();
    expect(q.bridge).toMatchObject({ rttMs: null, rttAvgMs: null, remoteLossPct: null, jitterMs: 0 });
    expect(q.phoneToMeeting.mos).toBeNull();
    expect(q.meetingToPhone.mos).toBeNull();
  });

  it("adds the phone's reports: its round trip, its loss of what we send it", () => {
    const q = callQuality(
      stats({
        caller: { rttMs: 80, rttMsSum: 150, rttSamples: 2, remotePacketsLost: 30, remoteJitterMs: 6 },
        bridge: { rttMs: 20, rttMsSum: 40, rttSamples: 2 },
      }),
    );
    expect(q.phone).toMatchObject({ rttMs: 80, rttAvgMs: 75, remotePacketsLost: 30, remoteLossPct: 3, remoteJitterMs: 6 });
    // End to end, both directions cross both legs.
    expect(q.phoneToMeeting.rttMs).toBe(100);
    expect(q.meetingToPhone).toMatchObject({ rttMs: 100, lossPct: 3 });
    const withoutPhoneRtcp = callQuality(stats({ bridge: { rttMs: 20 } }));
    expect(withoutPhoneRtcp.phone).toMatchObject({ rttMs: null, rttAvgMs: null, remoteLossPct: null });
    expect(withoutPhoneRtcp.meetingToPhone.rttMs).toBe(20);
    expect(q.meetingToPhone.mos).toBeLessThan(withoutPhoneRtcp.meetingToPhone.mos ?? 0);
  });

  it('rates a clean call above a lossy one', () => {
    const clean = callQuality(stats({ caller: { packetsLost: 0, packetsReceived: 1000 } }));
    const lossy = callQuality(stats());
    expect(clean.phoneToMeeting.mos).toBeGreaterThan((lossy.phoneToMeeting.mos ?? 5) + 0.3);
  });
});
