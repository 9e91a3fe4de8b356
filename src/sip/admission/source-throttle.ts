import type { SipRateLimitAction } from '../../config/types.js';
import type { Logger } from '../../log.js';
import type { SrfIncomingRequest } from '../srf-types.js';
import { dropUnanswered } from './silent-drop.js';
import type { SourceLimiter } from './source-limiter.js';

export type ThrottledMethod = 'invite' | 'options';

/** What to do with a request: go on, answer 503 with Retry-After, or leave it unanswered. */
export type ThrottleVerdict = { kind: 'pass' } | { kind: 'reject'; retryAfterSeconds: number } | { kind: 'drop' };

export interface SourceThrottleOptions {
  limiter: SourceLimiter;
  action: SipRateLimitAction;
  /** Counts every throttled request (GatewayMetrics.sipThrottledTotal fits). */
  count?: (method: ThrottledMethod, action: SipRateLimitAction) => void;
  log: Logger;
}

const PASS: ThrottleVerdict = { kind: 'pass' };

/**
 * The per-source limit as both the INVITE chain and the OPTIONS handler apply it. A flood must
 * not flood the log either: one warning when a source starts being throttled, then debug lines.
 */
export class SourceThrottle {
  constructor(private readonly o: SourceThrottleOptions) {}

  check(req: SrfIncomingRequest, method: ThrottledMethod): ThrottleVerdict {
    const v = this.o.limiter.take(req.source_address);
    if (v.allowed) return PASS;
    this.o.count?.(method, this.o.action);
    const fields = { source: req.source_address, method, action: this.o.action };
    if (v.first) this.o.log.warn(fields, 'source exceeds SIP_RATE_LIMIT; throttling it');
    else this.o.log.debug(fields, 'request throttled');
    if (this.o.action === 'drop') {
      dropUnanswered(req);
      return { kind: 'drop' };
    }
    return { kind: 'reject', retryAfterSeconds: v.retryAfterSeconds };
  }
}
