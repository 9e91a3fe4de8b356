import type { Logger } from '../log.js';
import { authorizeCaller, type CallerAuthPolicy } from './admission/caller-auth.js';
import { readAndCheckOffer, type OfferCheck } from './admission/offer-check.js';
import { InvalidRoomError } from './admission/room-target.js';
import { routeInvite, type RoutingRules } from './admission/route.js';
import type { SourceThrottle } from './admission/source-throttle.js';
import { SipRejection } from './errors.js';
import { respond } from './respond.js';
import type { InboundRoute } from './sip-leg.js';
import { sipReason, userOf } from './sip-headers.js';
import type { SrfIncomingRequest, SrfMiddleware, SrfServerResponse } from './srf-types.js';

/** What the call registry says about taking one more call (CallRegistry.admission() fits). */
export type AdmissionDecision = { refused: false } | { refused: true; status: number; reason: string };

export interface InviteAdmissionDeps {
  log: Logger;
  auth: CallerAuthPolicy;
  admission: () => AdmissionDecision;
  routing: RoutingRules;
  checkOffer: OfferCheck;
  /** warn-agent for Warning headers (our SIP host, known once drachtio is connected). */
  warnAgent: () => string;
  /** Counts every final response the app sends to an initial INVITE, by status. */
  countResponse: (status: number) => void;
  /** False once the SIP app is stopping: new INVITEs get 503. */
  accepting: () => boolean;
  /** Retry-After seconds on 503: long while draining (this instance is going away), short when full. */
  retryAfterSeconds?: { draining: number; capacity: number };
  /** Per-source rate limit (SIP_RATE_LIMIT); absent: none. */
  throttle?: SourceThrottle;
}

/** What the chain learned about an INVITE it let through; read by the final handler. */
export interface AdmittedInvite {
  callId: string;
  log: Logger;
  offer: string | undefined;
  authenticatedUser: string | undefined;
  route: InboundRoute;
}

type Step = (req: SrfIncomingRequest, ctx: Partial<AdmittedInvite> & { log: Logger }) => SipRejection | undefined;

const CHALLENGE_LABELS = new Set(['auth-challenge', 'auth-stale']);

/**
 * The INVITE admission chain as drachtio-srf middleware, in the order jambonz taught us: how
 * fast this source may send → who may call → capacity/drain → is the offer usable → which room. Each step either passes the request
 * on or answers it; a step that throws is answered 500 and logged, and nothing else is affected.
 * Steps are synchronous on purpose: a burst of INVITEs is then admitted one at a time, so the
 * capacity check cannot let a flood through between check and registration.
 */
export class InviteAdmission {
  readonly #deps: InviteAdmissionDeps;
  readonly #admitted = new WeakMap<SrfIncomingRequest, Partial<AdmittedInvite> & { log: Logger }>();

  constructor(deps: InviteAdmissionDeps) {
    this.#deps = deps;
  }

  /** The middleware to pass to `srf.use('invite', …)` before the final handler. */
  middleware(): SrfMiddleware[] {
    return [
      (req, res, next) => this.#throttle(req, res, next),
      this.#step('begin', (req, ctx) => this.#begin(req, ctx)),
      this.#step('auth', (req, ctx) => this.#auth(req, ctx)),
      this.#step('capacity', () => this.#capacity()),
      this.#step('offer', (req, ctx) => this.#offer(req, ctx)),
      this.#step('route', (req, ctx) => this.#route(req, ctx)),
    ];
  }

  /** The admission result for a request the whole chain passed; undefined otherwise. */
  admitted(req: SrfIncomingRequest): AdmittedInvite | undefined {
    const ctx = this.#admitted.get(req);
    if (ctx?.callId === undefined || ctx.route === undefined) return undefined;
    return { callId: ctx.callId, log: ctx.log, offer: ctx.offer, authenticatedUser: ctx.authenticatedUser, route: ctx.route };
  }

  /**
   * First, before any work (digest hashing, SDP parsing) is spent on the request. Not a #step:
   * a flood is logged once by the throttle, not once per request.
   */
  #throttle(req: SrfIncomingRequest, res: SrfServerResponse, next: () => void): void {
    const verdict = this.#deps.throttle?.check(req, 'invite') ?? { kind: 'pass' };
    if (verdict.kind === 'pass') {
      next();
      return;
    }
    if (verdict.kind === 'drop') return;
    this.#deps.countResponse(503);
    const headers = { 'Retry-After': String(verdict.retryAfterSeconds), Reason: sipReason(503, 'too many requests from this source') };
    void respond(res, 503, { headers }, this.#deps.log);
  }

  #step(name: string, step: Step): SrfMiddleware {
    return (req, res, next) => {
      let ctx = this.#admitted.get(req);
      if (ctx === undefined) {
        const callId = req.get('Call-ID') ?? 'unknown';
        ctx = { callId, log: this.#deps.log.child({ callId }) };
        this.#admitted.set(req, ctx);
      }
      let rejection: SipRejection | undefined;
      try {
        rejection = step(req, ctx);
      } catch (err) {
        ctx.log.error({ err, step: name }, 'INVITE admission step failed');
        rejection = new SipRejection(500, 'internal error during admission', 'internal', { 'Retry-After': '5' });
      }
      if (rejection === undefined) {
        next();
        return;
      }
      this.#reject(req, res, rejection, ctx.log);
    };
  }

  #reject(req: SrfIncomingRequest, res: SrfServerResponse, r: SipRejection, log: Logger): void {
    const headers: Record<string, string> = { ...r.headers };
    // Challenges need no explanation; everything else says why, for the operator at the far end.
    if (!CHALLENGE_LABELS.has(r.label)) headers.Reason = sipReason(r.status, r.reason);
    const fields = { status: r.status, label: r.label, reason: r.reason, source: req.source_address };
    if (CHALLENGE_LABELS.has(r.label)) log.debug(fields, 'INVITE challenged');
    else log.info(fields, 'INVITE rejected');
    this.#deps.countResponse(r.status);
    void respond(res, r.status, { headers }, log);
  }

  #begin(req: SrfIncomingRequest, ctx: Partial<AdmittedInvite>): SipRejection | undefined {
    if (!this.#deps.accepting()) {
      return new SipRejection(503, 'the gateway is shutting down', 'stopped', { 'Retry-After': String(this.#retryAfter().draining) });
    }
    // srf hands re-INVITEs of dialogs it knows to the dialog; one that reaches us is for a dialog
    // that no longer exists here (e.g. from before a restart).
    const to = req.get('To') ?? '';
    if (/;\s*tag=/i.test(to.slice(to.lastIndexOf('>') + 1))) {
      return new SipRejection(481, 'no such dialog', 'unknown-dialog');
    }
    // Without a Contact there is nowhere to send the BYE (and srf's createUAS misbehaves).
    if (!req.has('Contact')) return new SipRejection(400, 'missing Contact header', 'bad-request');
    ctx.callId = req.get('Call-ID') ?? 'unknown';
    return undefined;
  }

  #auth(req: SrfIncomingRequest, ctx: Partial<AdmittedInvite>): SipRejection | undefined {
    const verdict = authorizeCaller(this.#deps.auth, req.source_address, req.get('Authorization'), 'INVITE');
    if (verdict instanceof SipRejection) return verdict;
    ctx.authenticatedUser = verdict.user;
    return undefined;
  }

  #capacity(): SipRejection | undefined {
    const decision = this.#deps.admission();
    if (!decision.refused) return undefined;
    const retry = this.#retryAfter();
    const seconds = decision.reason === 'draining' ? retry.draining : retry.capacity;
    return new SipRejection(decision.status, decision.reason === 'draining' ? 'the gateway is draining' : 'the gateway is at capacity', decision.reason, {
      'Retry-After': String(seconds),
    });
  }

  #offer(req: SrfIncomingRequest, ctx: Partial<AdmittedInvite>): SipRejection | undefined {
    const verdict = readAndCheckOffer(req, this.#deps.checkOffer, this.#deps.warnAgent());
    if (verdict instanceof SipRejection) return verdict;
    ctx.offer = verdict.offer;
    return undefined;
  }

  #route(req: SrfIncomingRequest, ctx: Partial<AdmittedInvite>): SipRejection | undefined {
    try {
      const decision = routeInvite({ header: (name) => req.get(name), calledNumber: userOf(req.uri), requestUri: req.uri }, this.#deps.routing);
      if (decision.kind === 'reject') return new SipRejection(decision.status, decision.reason, 'no-route');
      ctx.route = decision;
      return undefined;
    } catch (err) {
      if (err instanceof InvalidRoomError) return new SipRejection(err.sipStatus, err.message, 'invalid-room');
      throw err;
    }
  }

  #retryAfter(): { draining: number; capacity: number } {
    return this.#deps.retryAfterSeconds ?? { draining: 300, capacity: 10 };
  }
}
