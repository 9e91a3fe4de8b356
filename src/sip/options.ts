import type { Logger } from '../log.js';
import type { SourceThrottle } from './admission/source-throttle.js';
import { ACCEPTED_TYPES, ALLOWED_METHODS } from './dialog-session.js';
import { respond } from './respond.js';
import { sipReason } from './sip-headers.js';
import type { SrfMiddleware } from './srf-types.js';

/** Whether this instance should be sent new calls now, and if not why and for how long. */
export type SipReadiness = { ready: true } | { ready: false; reason: string; retryAfterSeconds: number };

export interface OptionsDeps {
  /**
   * The same verdict /about/health gives (drain, capacity, brewery, drachtio, media, FreeSWITCH,
   * registration): a SIP load balancer probing with OPTIONS stops sending calls exactly when the
   * calls would fail or be refused here.
   */
  readiness: () => SipReadiness;
  log: Logger;
  /** Per-source rate limit (SIP_RATE_LIMIT), shared with INVITE; absent: none. */
  throttle?: SourceThrottle;
}

/**
 * Out-of-dialog OPTIONS, the keep-alive probe of trunks, PBXs and SIP load balancers
 * (in-dialog OPTIONS are answered by srf's dialog). 200 with what we support while ready; 503 with
 * Retry-After and a Reason naming every problem otherwise.
 */
export function optionsHandler(deps: OptionsDeps): SrfMiddleware {
  return (req, res) => {
    const verdict = deps.throttle?.check(req, 'options') ?? { kind: 'pass' };
    if (verdict.kind === 'drop') return;
    if (verdict.kind === 'reject') {
      void respond(res, 503, { headers: { 'Retry-After': String(verdict.retryAfterSeconds) } }, deps.log);
      return;
    }
    const ready = deps.readiness();
    if (!ready.ready) {
      const headers = { 'Retry-After': String(ready.retryAfterSeconds), Reason: sipReason(503, ready.reason) };
      void respond(res, 503, { headers }, deps.log);
      return;
    }
    void respond(res, 200, { headers: { Allow: ALLOWED_METHODS, Accept: ACCEPTED_TYPES } }, deps.log);
  };
}
