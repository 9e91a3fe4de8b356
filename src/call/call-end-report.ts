/**
 * What a call leaves behind when it ends: its media counters and quality in /metrics (one
 * observation per call, no per-call labels) and its call detail record.
 */
import type { GatewayMetrics } from '../http/metrics.js';
import type { CallSnapshot } from './call-snapshot.js';
import type { CallEnd, CdrSink } from './cdr.js';

export function reportCallEnd(metrics: GatewayMetrics | undefined, cdr: CdrSink | undefined, s: CallSnapshot, end: CallEnd): void {
  if (metrics !== undefined) recordQuality(metrics, s, end);
  cdr?.record(s, end);
}

function recordQuality(m: GatewayMetrics, s: CallSnapshot, end: CallEnd): void {
  m.callEndReasonsTotal.inc({ reason: end.reason.cause, ended_by: end.endedBy });
  const { phone, bridge, phoneToMeeting, meetingToPhone } = s.quality;
  m.mediaPacketsReceivedTotal.inc({ side: 'caller' }, phone.packetsReceived);
  m.mediaPacketsLostTotal.inc({ side: 'caller' }, phone.packetsLost);
  m.mediaPacketsReceivedTotal.inc({ side: 'bridge' }, bridge.packetsReceived);
  m.mediaPacketsLostTotal.inc({ side: 'bridge' }, bridge.packetsLost);
  if (phone.packetsReceived > 0) {
    m.mediaJitterSeconds.observe({ side: 'caller' }, phone.jitterMs / 1000);
    m.mediaLossRatio.observe({ side: 'caller' }, phone.lossPct / 100);
  }
  if (bridge.packetsReceived > 0) {
    m.mediaJitterSeconds.observe({ side: 'bridge' }, bridge.jitterMs / 1000);
    m.mediaLossRatio.observe({ side: 'bridge' }, bridge.lossPct / 100);
  }
  if (bridge.rttAvgMs !== null) m.mediaRttSeconds.observe({ side: 'bridge' }, bridge.rttAvgMs / 1000);
  if (phone.rttAvgMs !== null) m.mediaRttSeconds.observe({ side: 'caller' }, phone.rttAvgMs / 1000);
  // Only a call someone talked on has a meaningful score.
  if (s.answeredAt === null) return;
  if (phoneToMeeting.mos !== null) m.callMos.observe({ direction: 'phone_to_meeting' }, phoneToMeeting.mos);
  if (meetingToPhone.mos !== null) m.callMos.observe({ direction: 'meeting_to_phone' }, meetingToPhone.mos);
}
