/**
 * A call's audio quality as an operator reads it, from its media counters: each leg as measured
 * (the phone's RTP, the bridge's SRTP) and as its far end reports it back over RTCP (the bridge
 * always; a phone when it exchanges RTCP with us), and each direction of the conversation end to
 * end across both legs, with an estimated MOS (media/quality/e-model.ts).
 */
import type { CallMediaStats } from '../media/call-media.js';
import { combinedLoss, estimateMos } from '../media/quality/e-model.js';

export interface LegQuality {
  packetsReceived: number;
  packetsLost: number;
  packetsSent: number;
  /** Lost / expected of what this leg received, %. */
  lossPct: number;
  jitterMs: number;
  /** Round trip from RTCP; null where the peer's reports give none. */
  rttMs: number | null;
}

/** A leg whose far end reports back (RTCP receiver reports); null fields: no report yet. */
export interface ReportedLegQuality extends LegQuality {
  /** The far end's view of what we send it: packets lost, % of what we sent, its jitter (ms). */
  remotePacketsLost: number | null;
  remoteLossPct: number | null;
  remoteJitterMs: number | null;
  /** Average of every round trip measured in the call. */
  rttAvgMs: number | null;
}

export type BridgeLegQuality = ReportedLegQuality;

export interface DirectionQuality {
  /** Packets of this direction that reached the gateway. */
  packets: number;
  /** Loss across the measured legs of this direction, %. */
  lossPct: number;
  /** Jitter where the gateway receives this direction, ms. */
  jitterMs: number;
  /** Round trip across the legs measured (bridge, plus the phone's when it reports); null: none yet. */
  rttMs: number | null;
  /** Estimated MOS (1..4.5); null before any audio of this direction arrived. */
  mos: number | null;
}

export interface CallQuality {
  phone: ReportedLegQuality & { codec: string | null };
  bridge: BridgeLegQuality & { codec: 'opus' };
  /** What the meeting hears of the phone, and what the phone hears of the meeting. */
  phoneToMeeting: DirectionQuality;
  meetingToPhone: DirectionQuality;
}

function ratio(lost: number, received: number): number {
  const expected = lost + received;
  return expected > 0 ? Math.max(0, lost) / expected : 0;
}

const pct = (r: number): number => Math.round(r * 10000) / 100;
const ms = (v: number): number => Math.round(v * 10) / 10;

/** What a leg's far end reported: its loss of what we sent it (a share of what we sent), round trips. */
interface Reported {
  packetsSent: number;
  rttMs?: number;
  rttMsSum?: number;
  rttSamples?: number;
  remotePacketsLost?: number;
  remoteJitterMs?: number;
}

function remoteLossRatio(r: Reported): number | undefined {
  // Its count covers the same stream as our packetsSent.
  return r.remotePacketsLost === undefined || r.packetsSent === 0 ? undefined : Math.min(1, r.remotePacketsLost / r.packetsSent);
}

function reportedFields(r: Reported): Omit<ReportedLegQuality, keyof LegQuality> & { rttMs: number | null } {
  const remoteLoss = remoteLossRatio(r);
  return {
    rttMs: r.rttMs ?? null,
    rttAvgMs: r.rttSamples !== undefined && r.rttSamples > 0 && r.rttMsSum !== undefined ? ms(r.rttMsSum / r.rttSamples) : null,
    remotePacketsLost: r.remotePacketsLost ?? null,
    remoteLossPct: remoteLoss === undefined ? null : pct(remoteLoss),
    remoteJitterMs: r.remoteJitterMs ?? null,
  };
}

export function callQuality(stats: CallMediaStats): CallQuality {
  const c = stats.caller;
  const b = stats.bridge;
  const codec = c.codec ?? null;
  // End to end, a direction crosses both legs: their round trips add up where both are known.
  const legRtts = [b.rttMs, c.rttMs].filter((v): v is number => v !== undefined);
  const rtt = legRtts.length === 0 ? null : ms(legRtts.reduce((sum, v) => sum + v, 0));
  const phoneLoss = ratio(c.packetsLost, c.packetsReceived);
  const bridgeLoss = ratio(b.packetsLost, b.packetsReceived);
  const oneWay = rtt === null ? 0 : rtt / 2;
  // Phone → meeting: what we lost of the phone, then what the bridge lost of ours; the reverse
  // direction the same way round, the phone's reports (when it sends any) giving the second leg.
  const toMeetingLoss = combinedLoss(phoneLoss, remoteLossRatio(b));
  const toPhoneLoss = combinedLoss(bridgeLoss, remoteLossRatio(c));
  return {
    phone: {
      codec,
      packetsReceived: c.packetsReceived,
      packetsLost: Math.max(0, c.packetsLost),
      packetsSent: c.packetsSent,
      lossPct: pct(phoneLoss),
      jitterMs: ms(c.jitterMs),
      ...reportedFields(c),
    },
    bridge: {
      codec: 'opus',
      packetsReceived: b.packetsReceived,
      packetsLost: Math.max(0, b.packetsLost),
      packetsSent: b.packetsSent,
      lossPct: pct(bridgeLoss),
      jitterMs: ms(b.jitterMs ?? 0),
      ...reportedFields(b),
    },
    phoneToMeeting: {
      packets: c.packetsReceived,
      lossPct: pct(toMeetingLoss),
      jitterMs: ms(c.jitterMs),
      rttMs: rtt,
      mos: c.packetsReceived === 0 ? null : estimateMos({ codec: c.codec, lossRatio: toMeetingLoss, jitterMs: c.jitterMs, networkDelayMs: oneWay }),
    },
    meetingToPhone: {
      packets: b.packetsReceived,
      lossPct: pct(toPhoneLoss),
      jitterMs: ms(b.jitterMs ?? 0),
      rttMs: rtt,
      mos: b.packetsReceived === 0 ? null : estimateMos({ codec: c.codec, lossRatio: toPhoneLoss, jitterMs: b.jitterMs ?? 0, networkDelayMs: oneWay }),
    },
  };
}
