import type { Logger } from '../log.js';
import type { SourceThrottle } from './admission/source-throttle.js';
import { ACCEPTED_TYPES, ALLOWED_METHODS } from './dialog-session.js';
import { respond } from './respond.js';
import type { SrfMiddleware } from './srf-types.js';

export interface OptionsDeps {
  /** False while draining or stopping: OPTIONS then answers 503 so SIP load balancers and trunks fail over. */
  serving: () => boolean;
  log: Logger;
  retryAfterSeconds?: number;
  /** Per-source rate limit (SIP_RATE_LIMIT), shared with INVITE; absent: none. */
  throttle?: SourceThrottle;
}

/**
 * Out-of-dialog OPTIONS, the keep-alive probe of trunks, PBXs and SIP load balancers
 * (in-dialog OPTIONS are answered by srf's dialog). 200 with what we support while serving.
 */
export function optionsHandler(deps: OptionsDeps): SrfMiddleware {
  return (req, res) => {
    const verdict = deps.throttle?.check(req, 'options') ?? { kind: 'pass' };
    if (verdict.kind === 'drop') return;
    if (verdict.kind === 'reject') {
      void respond(res, 503, { headers: { 'Retry-After': String(verdict.retryAfterSeconds) } }, deps.log);
      return;
    }
    if (!deps.serving()) {
      void respond(res, 503, { headers: { 'Retry-After': String(deps.retryAfterSeconds ?? 300) } }, deps.log);
      return;
    }
    void respond(res, 200, { headers: { Allow: ALLOWED_METHODS, Accept: ACCEPTED_TYPES } }, deps.log);
  };
}
