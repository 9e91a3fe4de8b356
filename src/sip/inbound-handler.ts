import type { Logger } from '../log.js';
import { DrachtioInboundLeg } from './inbound-leg.js';
import type { InviteAdmission } from './invite-middleware.js';
import { respond } from './respond.js';
import type { InboundCallMeta, InboundCallPort } from './sip-leg.js';
import { callerIdentity, type CallerNames } from './caller-identity.js';
import { parseNameAddr } from './sip-headers.js';
import type { SrfApi, SrfIncomingRequest, SrfMiddleware, SrfServerResponse } from './srf-types.js';

export interface InboundHandlerDeps {
  srf: SrfApi;
  log: Logger;
  admission: InviteAdmission;
  onInboundCall: InboundCallPort;
  countResponse: (status: number) => void;
  warnAgent: () => string;
  /** Called with every new leg, so its owner can end it when the drachtio connection is lost. */
  track: (leg: DrachtioInboundLeg) => void;
  /** Names for known caller numbers (SIP_NUMBER_MAP_FILE). */
  callerNames?: CallerNames;
  ackTimeoutMs?: number;
  byeTimeoutMs?: number;
}

function callMeta(req: SrfIncomingRequest, callId: string, lateOffer: boolean, user: string | undefined, names: CallerNames | undefined): InboundCallMeta {
  const id = callerIdentity((name) => req.get(name), names);
  return {
    callId,
    from: { displayName: id.displayName, user: id.number, uri: id.uri ?? '' },
    anonymous: id.anonymous,
    to: parseNameAddr(req.get('To') ?? ''),
    requestUri: req.uri,
    source: { address: req.source_address, port: req.source_port, protocol: req.protocol },
    lateOffer,
    authenticatedUser: user,
    header: (name) => req.get(name),
  };
}

/**
 * The last middleware of the INVITE chain: turns an admitted INVITE into an InboundSipLeg,
 * sends 180 at once (the contract's answer timing), and hands the leg to the call layer. If the
 * call layer throws, the caller gets a 500 (or a BYE, if it was already answered).
 */
export function inboundCallHandler(deps: InboundHandlerDeps): SrfMiddleware {
  return (req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      // Nothing thrown here may escape into srf's dispatch loop: answer 500 and carry on.
      deps.log.error({ err, callId: req.get('Call-ID') }, 'inbound call handler failed');
      if (!res.finalResponseSent) {
        deps.countResponse(500);
        void respond(res, 500, {}, deps.log);
      }
    }
  };

  function handle(req: SrfIncomingRequest, res: SrfServerResponse): void {
    const admitted = deps.admission.admitted(req);
    if (admitted === undefined) {
      deps.log.error({ callId: req.get('Call-ID') }, 'INVITE reached the call handler without passing admission');
      deps.countResponse(500);
      void respond(res, 500, {}, deps.log);
      return;
    }
    const { callId, log, offer, route, authenticatedUser } = admitted;
    const leg = new DrachtioInboundLeg({
      srf: deps.srf,
      req,
      res,
      callId,
      offer,
      log,
      warnAgent: deps.warnAgent(),
      countResponse: deps.countResponse,
      ...(deps.ackTimeoutMs !== undefined ? { ackTimeoutMs: deps.ackTimeoutMs } : {}),
      ...(deps.byeTimeoutMs !== undefined ? { byeTimeoutMs: deps.byeTimeoutMs } : {}),
    });
    deps.track(leg);
    leg.ringing();
    const meta = callMeta(req, callId, offer === undefined, authenticatedUser, deps.callerNames);
    // A withheld identity stays out of the logs too: from is then undefined.
    log.info(
      { route: route.kind === 'room' ? route.target.source : 'pin', from: meta.from.user, anonymous: meta.anonymous, lateOffer: meta.lateOffer },
      'inbound call admitted',
    );
    const fail = (err: unknown): void => {
      log.error({ err }, 'the call layer failed to take an inbound call');
      if (leg.state === 'ringing') void leg.hangup('internal error', 500).catch(() => undefined);
      else void leg.hangup('internal error');
    };
    try {
      const result = deps.onInboundCall(leg, route, meta);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }
}
