import type { SipTransport } from '../config/types.js';
import { OutboundCallError, outboundFailureOf, type OutboundFailure } from './errors.js';
import type { LegContext } from './leg-base.js';
import { DrachtioOutboundLeg } from './outbound-leg.js';
import type { OutboundSipLeg } from './sip-leg.js';
import { isPassableHeader, quoteText } from './sip-headers.js';
import { sipErrorStatus, type SrfApi, type SrfSentRequest } from './srf-types.js';

export interface PlaceCallOptions {
  /** The number (or extension) to call; in a phone number, spaces, dashes, dots and parentheses are ignored. */
  number: string;
  /** Put before the number, e.g. a trunk's outbound prefix (JIGASI_SIP_OUTBOUND_PREFIX). */
  prefix?: string;
  /** The PBX or trunk the INVITE goes to. */
  server: { host: string; port: number };
  transport: SipTransport;
  /** Our identity in From; host 'localhost' lets drachtio-server put its own SIP address there. */
  from: { user: string; displayName?: string; host?: string };
  /** Extra headers (e.g. from the dial IQ); stack-owned or malformed ones are dropped. */
  headers?: Readonly<Record<string, string>>;
  localSdp: string;
  /** Digest credentials srf answers a 401/407 with. */
  auth?: { username: string; password: string };
  /** CANCEL and fail with 'no-answer' when not answered in time; no limit when absent. */
  ringTimeoutMs?: number;
  /** 180/183 as they arrive, with the early-media SDP when the response carried one. */
  onProvisional?: (status: number, earlySdp: string | undefined) => void;
  /** Aborting cancels the call (CANCEL while ringing) and fails it with 'cancelled'. */
  signal?: AbortSignal;
}

/** The pending dial-out: resolves with the answered leg; `cancel()` sends CANCEL while ringing. */
export type PendingOutboundCall<L extends OutboundSipLeg = OutboundSipLeg> = Promise<L> & { cancel(detail?: string): void };

/** Characters RFC 3261 allows unescaped in a user part that a dial string may contain. */
const DIALABLE = /^[A-Za-z0-9+*#._~!-]+$/;

/** The Request-URI for a dial string; throws OutboundCallError('invalid-number') for anything else. */
export function dialTarget(opts: Pick<PlaceCallOptions, 'number' | 'prefix' | 'server' | 'transport'>): string {
  // Visual separators go from phone numbers only: 'sales-team' is an extension, not a number.
  const compact = opts.number.replace(/[\s().-]/g, '');
  const number = /^\+?[0-9*#]+$/.test(compact) ? compact : opts.number.trim();
  const dialled = `${opts.prefix ?? ''}${number}`;
  if (dialled === '' || !DIALABLE.test(dialled)) {
    throw new OutboundCallError(484, 'invalid-number', `cannot dial '${opts.number}'`);
  }
  // '#' starts a URI fragment: it must travel escaped.
  const user = dialled.replace(/#/g, '%23');
  const params = opts.transport === 'udp' ? '' : `;transport=${opts.transport}`;
  return `sip:${user}@${opts.server.host}:${opts.server.port}${params}`;
}

function fromHeader(from: PlaceCallOptions['from']): string {
  const uri = `sip:${from.user}@${from.host ?? 'localhost'}`;
  return from.displayName === undefined || from.displayName === '' ? `<${uri}>` : `${quoteText(from.displayName, 100)} <${uri}>`;
}

/** What calling a given URI needs (a transfer target): PlaceCallOptions without the dial string. */
export type UriCallOptions = Omit<PlaceCallOptions, 'number' | 'prefix' | 'server' | 'transport'>;

/**
 * Places a call as a UAC (dial-out). Failures reject with OutboundCallError carrying the final
 * status and what it means (busy, no-answer, declined, not-found, cancelled…).
 */
export function placeCall(srf: SrfApi, opts: PlaceCallOptions, ctx: LegContext): PendingOutboundCall<DrachtioOutboundLeg> {
  let uri: string;
  try {
    uri = dialTarget(opts);
  } catch (err) {
    return Object.assign(Promise.reject(err instanceof Error ? err : new Error(String(err))), { cancel: () => undefined });
  }
  return placeCallTo(srf, uri, opts, ctx);
}

/** Places a call to `uri` as it is (a REFER's target); fails like placeCall. */
export function placeCallTo(srf: SrfApi, uri: string, opts: UriCallOptions, ctx: LegContext): PendingOutboundCall<DrachtioOutboundLeg> {
  let cancelRequested: { reason: OutboundFailure; detail: string } | undefined;
  let sent: SrfSentRequest | undefined;
  let timer: NodeJS.Timeout | undefined;
  const log = ctx.log;

  const sendCancel = (req: SrfSentRequest): void => {
    try {
      req.cancel((err) => {
        if (err) log.debug({ err: String(err) }, 'CANCEL not sent');
      });
    } catch (err) {
      log.debug({ err }, 'CANCEL not sent');
    }
  };
  const requestCancel = (reason: OutboundFailure, detail: string): void => {
    if (cancelRequested !== undefined) return;
    cancelRequested = { reason, detail };
    log.info({ reason, detail }, 'cancelling outbound call');
    // Before cbRequest ran there is nothing to cancel yet; cbRequest sends it then.
    if (sent !== undefined) sendCancel(sent);
  };
  const onAbort = (): void => requestCancel('cancelled', 'dial-out cancelled');
  const cleanup = (): void => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  };

  const run = async (): Promise<DrachtioOutboundLeg> => {
    const headers: Record<string, string> = { From: fromHeader(opts.from) };
    for (const [name, value] of Object.entries(opts.headers ?? {})) {
      if (isPassableHeader(name, value)) headers[name] = value;
      else log.warn({ header: name }, 'dropped a header that cannot go on an outbound INVITE');
    }
    if (opts.signal?.aborted) throw new OutboundCallError(0, 'cancelled', 'dial-out cancelled before the INVITE');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.ringTimeoutMs !== undefined) {
      const ms = opts.ringTimeoutMs;
      timer = setTimeout(() => requestCancel('no-answer', `no answer within ${ms} ms`), ms);
    }
    log.info({ uri }, 'placing outbound call');
    let dialog;
    try {
      dialog = await srf.createUAC(
        uri,
        { headers, localSdp: opts.localSdp, ...(opts.auth ? { auth: { ...opts.auth } } : {}) },
        {
          cbRequest: (_err, req) => {
            if (req === undefined) return;
            sent = req;
            if (cancelRequested !== undefined) sendCancel(req);
          },
          cbProvisional: (res) => {
            const sdp = res.body !== undefined && res.body.trim() !== '' ? res.body : undefined;
            try {
              opts.onProvisional?.(res.status, sdp);
            } catch (err) {
              log.error({ err }, 'onProvisional threw');
            }
          },
        },
      );
    } catch (err) {
      throw failure(err, cancelRequested);
    } finally {
      cleanup();
    }
    const leg = new DrachtioOutboundLeg(dialog, opts.localSdp, ctx);
    if (cancelRequested !== undefined) {
      // The 200 crossed our CANCEL: the call exists, so it must be ended with a BYE.
      await leg.hangup(cancelRequested.detail);
      throw new OutboundCallError(200, cancelRequested.reason, `${cancelRequested.detail} (answered meanwhile, hung up)`);
    }
    return leg;
  };

  const promise = run();
  return Object.assign(promise, { cancel: (detail = 'dial-out cancelled') => requestCancel('cancelled', detail) });
}

function failure(err: unknown, cancelled: { reason: OutboundFailure; detail: string } | undefined): OutboundCallError {
  if (err instanceof OutboundCallError) return err;
  const status = sipErrorStatus(err);
  if (status === undefined) {
    return new OutboundCallError(0, 'unreachable', err instanceof Error ? err.message : String(err), { cause: err });
  }
  if (cancelled !== undefined && status === 487) return new OutboundCallError(487, cancelled.reason, cancelled.detail);
  const phrase = (err as { reason?: unknown }).reason;
  return new OutboundCallError(status, outboundFailureOf(status), typeof phrase === 'string' ? phrase : `SIP ${status}`, { cause: err });
}
