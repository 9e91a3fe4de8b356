import type { HealthCheck } from '../http/server.js';
import type { SipReadiness } from '../sip/options.js';

/**
 * Retry-After seconds a refusal suggests: a draining instance is going away for good, a full one
 * frees a slot as soon as a call ends, a missing dependency usually comes back within seconds.
 */
export const RETRY_AFTER_SECONDS = { draining: 300, capacity: 10, dependency: 5 } as const;

/** A health check that also says how long a refused caller or prober should wait. */
export interface ReadinessCheck extends HealthCheck {
  retryAfterSeconds: number;
}

/**
 * Whether this instance can take a new call now: the one list both `/about/health` and the SIP
 * OPTIONS answer are computed from, so a load balancer probing either one sees the same verdict.
 */
export class Readiness {
  constructor(readonly checks: readonly ReadinessCheck[]) {}

  /** name → problem, for every check that fails now. */
  problems(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of this.checks) {
      const p = c.problem();
      if (p !== undefined) out[c.name] = p;
    }
    return out;
  }

  /** The verdict OPTIONS answers with: every problem in the reason, the longest wait any of them asks. */
  sipVerdict(): SipReadiness {
    const failing: Array<{ problem: string; retry: number }> = [];
    for (const c of this.checks) {
      const p = c.problem();
      if (p !== undefined) failing.push({ problem: p, retry: c.retryAfterSeconds });
    }
    if (failing.length === 0) return { ready: true };
    return {
      ready: false,
      reason: failing.map((f) => f.problem).join('; '),
      retryAfterSeconds: Math.max(...failing.map((f) => f.retry)),
    };
  }
}
