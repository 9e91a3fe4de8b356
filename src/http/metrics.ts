import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { TerminationClass } from '../call/registry.js';

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
    this.callsReapedTotal = new Counter({
      name: `${PREFIX}calls_reaped_total`,
      help: 'Calls closed by the reaper because their SIP leg was gone unnoticed (a bug if ever non-zero)',
      registers: [r],
    });
  }

  callEnded(direction: 'in' | 'out', result: TerminationClass, durationSeconds: number | undefined): void {
    this.callsTotal.inc({ direction, result });
    if (durationSeconds !== undefined) this.callDurationSeconds.observe(durationSeconds);
  }
}
