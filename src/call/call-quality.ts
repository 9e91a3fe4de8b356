/**
 * A call's audio quality as an operator reads it, from its media counters: each leg as measured
 * (the phone's RTP, the bridge's SRTP and what the bridge reports back), and each direction of
 * the conversation end to end across both legs, with an estimated MOS (media/quality/e-model.ts).
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

export interface BridgeLegQuality extends LegQuality {
  /** The bridge's view of what we send it: packets lost, % of what we sent, its jitter (ms). */
  remotePacketsLost: number | null;
  remoteLossPct: number | null;
  remoteJitterMs: number | null;
  /** Average of every round trip measured in the call. */
  rttAvgMs: number | null;
}

export interface DirectionQuality {
  /** Packets of this direction that reached the gateway. */
  packets: number;
  /** Loss across the measured legs of this direction, %. */
  lossPct: number;
  /** Jitter where the gateway receives this direction, ms. */
  jitterMs: number;
  rttMs: number | null;
  /** Estimated MOS (1..4.5); null before any audio of this direction arrived. */
  mos: number | null;
}

export interface CallQuality {
  phone: LegQuality & { codec: string | null };
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

export function callQuality(stats: CallMediaStats): CallQuality {
  const c = stats.caller;
  const b = stats.bridge;
  const codec = c.codec ?? null;
  const rtt = b.rttMs ?? null;
  const rttAvg = b.rttSamples !== undefined && b.rttSamples > 0 && b.rttMsSum !== undefined ? ms(b.rttMsSum / b.rttSamples) : null;
  const phoneLoss = ratio(c.packetsLost, c.packetsReceived);
  const bridgeLoss = ratio(b.packetsLost, b.packetsReceived);
  // What the bridge lost of ours, against what we sent it (its count covers the same stream).
  const remoteLoss = b.remotePacketsLost === undefined || b.packetsSent === 0 ? undefined : Math.min(1, b.remotePacketsLost / b.packetsSent);
  const oneWay = rtt === null ? 0 : rtt / 2;
  const toMeetingLoss = combinedLoss(phoneLoss, remoteLoss);
  return {
    phone: {
      codec,
      packetsReceived: c.packetsReceived,
      packetsLost: Math.max(0, c.packetsLost),
      packetsSent: c.packetsSent,
      lossPct: pct(phoneLoss),
      jitterMs: ms(c.jitterMs),
      // The phone side has no RTCP round trip (its reports are not read).
      rttMs: null,
    },
    bridge: {
      codec: 'opus',
      packetsReceived: b.packetsReceived,
      packetsLost: Math.max(0, b.packetsLost),
      packetsSent: b.packetsSent,
      lossPct: pct(bridgeLoss),
      jitterMs: ms(b.jitterMs ?? 0),
      rttMs: rtt,
      rttAvgMs: rttAvg,
      remotePacketsLost: b.remotePacketsLost ?? null,
      remoteLossPct: remoteLoss === undefined ? null : pct(remoteLoss),
      remoteJitterMs: b.remoteJitterMs ?? null,
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
      lossPct: pct(bridgeLoss),
      jitterMs: ms(b.jitterMs ?? 0),
      rttMs: rtt,
      mos: b.packetsReceived === 0 ? null : estimateMos({ codec: c.codec, lossRatio: bridgeLoss, jitterMs: b.jitterMs ?? 0, networkDelayMs: oneWay }),
    },
  };
}
