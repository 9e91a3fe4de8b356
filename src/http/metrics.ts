import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TerminationClass } from '../call/registry.js';

/** What /metrics shows of one media worker (MediaWorkerPool.status()). */
export interface MediaWorkerLoad {
  index: number;
  placedCalls: number;
  rooms: number;
  busy: number;
  lateTicks: number;
  skippedTicks: number;
}

const PREFIX = 'jitsi_sip_gateway_';

/**
 * The gateway's Prometheus metrics. One prefix, `_total` counters, `_seconds` units; no call ids
 * or room names as labels (they would make series grow without bound).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly callsActive: Gauge;
  readonly callsTotal: Counter<'direction' | 'result'>;
  readonly callSetupSeconds: Histogram<'direction'>;
  readonly callDurationSeconds: Histogram;
  readonly sipResponsesTotal: Counter<'status'>;
  readonly sipThrottledTotal: Counter<'method' | 'action'>;
  readonly mediaPacketsLostTotal: Counter<'side'>;
  readonly mediaPacketsReceivedTotal: Counter<'side'>;
  readonly mediaJitterSeconds: Histogram<'side'>;
  readonly connectionUp: Gauge<'peer'>;
  readonly draining: Gauge;
  readonly callCloseSeconds: Histogram;
  readonly callsReapedTotal: Counter;
  readonly mediaWorkerRestartsTotal: Counter;
  readonly callMos: Histogram<'direction'>;
  readonly mediaLossRatio: Histogram<'side'>;
  readonly mediaRttSeconds: Histogram<'side'>;
  readonly callEndReasonsTotal: Counter<'reason' | 'ended_by'>;
  readonly dialInRequestsTotal: Counter<'endpoint' | 'status'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = this.registry;
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: r, prefix: PREFIX });
    this.callsActive = new Gauge({ name: `${PREFIX}calls_active`, help: 'Calls in progress', registers: [r] });
    this.callsTotal = new Counter({
      name: `${PREFIX}calls_total`,
      help: 'Calls ended, by direction and termination class',
      labelNames: ['direction', 'result'],
      registers: [r],
    });
    this.callSetupSeconds = new Histogram({
      name: `${PREFIX}call_setup_seconds`,
      help: 'INVITE to media flowing both ways',
      labelNames: ['direction'],
      buckets: [0.25, 0.5, 1, 2, 3, 5, 10, 30],
      registers: [r],
    });
    this.callDurationSeconds = new Histogram({
      name: `${PREFIX}call_duration_seconds`,
      help: 'Length of answered calls',
      buckets: [10, 60, 300, 900, 1800, 3600, 7200],
      registers: [r],
    });
    this.sipResponsesTotal = new Counter({
      name: `${PREFIX}sip_final_responses_total`,
      help: 'Final responses sent to INVITEs, by status',
      labelNames: ['status'],
      registers: [r],
    });
    // By method and action only: a label per source address would let a flood grow the series.
    this.sipThrottledTotal = new Counter({
      name: `${PREFIX}sip_requests_throttled_total`,
      help: 'Out-of-dialog INVITE/OPTIONS over the per-source limit (SIP_RATE_LIMIT), by method and action (reject, drop)',
      labelNames: ['method', 'action'],
      registers: [r],
    });
    this.mediaPacketsLostTotal = new Counter({
      name: `${PREFIX}media_packets_lost_total`,
      help: 'RTP packets detected lost, by side (caller, bridge)',
      labelNames: ['side'],
      registers: [r],
    });
    this.mediaPacketsReceivedTotal = new Counter({
      name: `${PREFIX}media_packets_received_total`,
      help: 'RTP packets received, by side (caller, bridge)',
      labelNames: ['side'],
      registers: [r],
    });
    this.mediaJitterSeconds = new Histogram({
      name: `${PREFIX}media_jitter_seconds`,
      help: 'Interarrival jitter at call end, by side',
      labelNames: ['side'],
      buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16],
      registers: [r],
    });
    this.connectionUp = new Gauge({
      name: `${PREFIX}connection_up`,
      help: '1 when the connection to a dependency is up (drachtio, xmpp, registration, freeswitch)',
      labelNames: ['peer'],
      registers: [r],
    });
    this.draining = new Gauge({ name: `${PREFIX}graceful_shutdown`, help: '1 while draining', registers: [r] });
    this.callCloseSeconds = new Histogram({
      name: `${PREFIX}call_close_seconds`,
      help: 'Time from the decision to end a call until all of it (SIP leg, room, media) is gone',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [r],
    });
    this.mediaWorkerRestartsTotal = new Counter({
      name: `${PREFIX}media_worker_restarts_total`,
      help: 'Media worker threads that died (their calls ended) and were replaced',
      registers: [r],
    });
    // Quality at call end: one observation per call, never a label per call.
    this.callMos = new Histogram({
      name: `${PREFIX}call_mos`,
      help: 'Estimated MOS (simplified E-model) of each answered call at its end, by direction (phone_to_meeting, meeting_to_phone)',
      labelNames: ['direction'],
      buckets: [1.5, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.3, 4.4],
      registers: [r],
    });
    this.mediaLossRatio = new Histogram({
      name: `${PREFIX}media_loss_ratio`,
      help: 'Share of RTP packets lost over a whole call, at its end, by receiving side (caller, bridge)',
      labelNames: ['side'],
      buckets: [0.001, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2],
      registers: [r],
    });
    this.mediaRttSeconds = new Histogram({
      name: `${PREFIX}media_rtt_seconds`,
      help: 'Average round trip over a call, at its end, from RTCP receiver reports: side=bridge to the videobridge, side=caller to the phone (phones that exchange RTCP)',
      labelNames: ['side'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8],
      registers: [r],
    });
    this.callEndReasonsTotal = new Counter({
      name: `${PREFIX}call_end_reasons_total`,
      help: 'Calls ended, by reason (caller-bye, kicked, no-session-initiate, ...) and the side that ended them (phone, meeting, gateway)',
      labelNames: ['reason', 'ended_by'],
      registers: [r],
    });
    this.dialInRequestsTotal = new Counter({
      name: `${PREFIX}dialin_requests_total`,
      help: 'Answers of the dial-in endpoints (conferenceMapper, phoneNumberList, dialInInfo, pinLookup, other), by HTTP status (429: rate-limited)',
      labelNames: ['endpoint', 'status'],
      registers: [r],
    });
    this.callsReapedTotal = new Counter({
      name: `${PREFIX}calls_reaped_total`,
      help: 'Calls closed by the reaper because their SIP leg was gone unnoticed (a bug if ever non-zero)',
      registers: [r],
    });
  }

  /**
   * Per media worker load, read when /metrics is scraped: the worker index is the only label
   * (as many values as MEDIA_WORKERS), so an unbalanced machine shows.
   */
  trackMediaWorkers(status: () => readonly MediaWorkerLoad[]): void {
    const r = this.registry;
    const gauge = (name: string, help: string, pick: (w: MediaWorkerLoad) => number): void => {
      new Gauge({
        name: `${PREFIX}${name}`,
        help,
        labelNames: ['worker'],
        registers: [r],
        collect() {
          for (const w of status()) this.set({ worker: String(w.index) }, pick(w));
        },
      });
    };
    gauge('media_worker_calls', 'Calls whose media runs in the worker', (w) => w.placedCalls);
    gauge('media_worker_rooms', 'Rooms mixed in the worker', (w) => w.rooms);
    gauge('media_worker_busy_ratio', 'Share of the last second the worker thread was busy (its CPU share of one core)', (w) => w.busy);
    gauge('media_worker_late_ticks', '20 ms media ticks that ran late since the worker started', (w) => w.lateTicks);
    gauge('media_worker_skipped_ticks', '20 ms media ticks dropped after stalls since the worker started', (w) => w.skippedTicks);
  }

  callEnded(direction: 'in' | 'out', result: TerminationClass, durationSeconds: number | undefined): void {
    this.callsTotal.inc({ direction, result });
    if (durationSeconds !== undefined) this.callDurationSeconds.observe(durationSeconds);
  }
}
