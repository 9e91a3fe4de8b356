import type { SipConfig, SipRateLimitAction } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Backoff } from '../util/backoff.js';
import { CidrSet } from './admission/cidr.js';
import { DigestAuthenticator } from './admission/digest.js';
import { codecOfferCheck, type OfferCheck } from './admission/offer-check.js';
import { SourceLimiter } from './admission/source-limiter.js';
import { SourceThrottle, type ThrottledMethod } from './admission/source-throttle.js';
import type { MucLayout } from './admission/room-target.js';
import type { RoutingRules } from './admission/route.js';
import type { DrachtioConnection } from './drachtio-connection.js';
import { OutboundCallError } from './errors.js';
import { inboundCallHandler } from './inbound-handler.js';
import { InviteAdmission, type AdmissionDecision } from './invite-middleware.js';
import type { LegBase } from './leg-base.js';
import { LostDialogReleaser } from './lost-dialogs.js';
import { optionsHandler, type SipReadiness } from './options.js';
import type { OneTapRules } from './pin/one-tap.js';
import { placeCall, placeCallTo, type PendingOutboundCall, type PlaceCallOptions } from './outbound.js';
import { uriHost } from './registration-messages.js';
import { Registrar } from './registration.js';
import type { InboundCallPort } from './sip-leg.js';
import { userOf } from './sip-headers.js';
import { srfApi, type SrfApi } from './srf-types.js';

/** The counters SipApp feeds (GatewayMetrics.sipResponsesTotal fits `response`). */
export interface SipMetrics {
  /** A final response the app sent to an initial INVITE (rejections, 200, 487 after CANCEL). */
  response(status: number): void;
  /** A request refused or dropped by the per-source limit (SIP_RATE_LIMIT). */
  throttled?(method: ThrottledMethod, action: SipRateLimitAction): void;
}

export type SipAppConnection = Pick<DrachtioConnection, 'srf' | 'state' | 'serverInfo' | 'on' | 'off'>;

export interface SipAppOptions {
  connection: SipAppConnection;
  /** The SIP section of the gateway config (accounts, admission, routing, dial-out). */
  config: SipConfig;
  layout: MucLayout;
  /** Capacity and drain (CallRegistry.admission()). */
  admission: () => AdmissionDecision;
  /**
   * What OPTIONS answers: whether this instance should get new calls (the gateway passes the
   * verdict /about/health is computed from). Absent: refused only while draining or full.
   */
  readiness?: () => SipReadiness;
  /**
   * Receives every admitted call. It must register the call (so admission() counts it) before
   * it returns: admission runs synchronously per INVITE and relies on that to hold capacity.
   */
  onInboundCall: InboundCallPort;
  metrics?: SipMetrics;
  logger: Logger;
  /** How a caller's SDP offer is vetted before admission; by default against our codecs. */
  checkOffer?: OfferCheck;
  /**
   * The built-in conference mapper's PIN prompt (no CONFERENCE_MAPPER_URL needed) and how a PIN
   * riding in the Request-URI is recognised. Absent: the PIN prompt needs CONFERENCE_MAPPER_URL.
   */
  builtinPinPrompt?: OneTapRules;
  /** Timings, mostly for tests. */
  timing?: {
    ackTimeoutMs?: number;
    byeTimeoutMs?: number;
    registerTimeoutMs?: number;
    registerBackoff?: Backoff;
    /** Replaces SIP_KEEP_ALIVE_INTERVAL (whose floor is 5 s) so tests can probe quickly. */
    keepAliveIntervalMs?: number;
    /** How long a digest nonce stays fresh before a correct answer is re-challenged stale, ms. */
    nonceTtlMs?: number;
    retryAfterSeconds?: { draining: number; capacity: number };
  };
}

/** A dial-out with the account's defaults filled in (server, transport, prefix, From, credentials). */
/** A call to a transfer target on behalf of a call in a meeting (see PhoneTransfer). */
export interface TransferCallRequest {
  uri: string;
  localSdp: string;
  /** Referred-By, Replaces; passed on when well-formed. */
  headers: Readonly<Record<string, string>>;
  fromDisplayName?: string;
  ringTimeoutMs: number;
  onProvisional?: (status: number) => void;
  /** The transferring call's logger. */
  log: Logger;
}

export interface DialOutRequest {
  number: string;
  localSdp: string;
  headers?: Readonly<Record<string, string>>;
  /** From display name, e.g. the meeting's name. */
  fromDisplayName?: string;
  ringTimeoutMs?: number;
  onProvisional?: (status: number, earlySdp: string | undefined) => void;
  signal?: AbortSignal;
}

/**
 * The gateway's SIP application on a DrachtioConnection's srf: the INVITE admission chain and
 * handler, OPTIONS, registration, dial-out. Legs die with the drachtio connection (their dialogs
 * live in the drachtio-server session that is gone), so a disconnect ends every live leg.
 */
export class SipApp {
  readonly registrar: Registrar | undefined;
  readonly #o: SipAppOptions;
  readonly #log: Logger;
  readonly #srf: SrfApi;
  readonly #legs = new Set<LegBase>();
  #started = false;
  #accepting = false;
  #stopped: Promise<void> | undefined;
  readonly #onDisconnected = (reason: string): void => this.#connectionLost(reason);
  readonly #onConnected = (): void => void this.#lostDialogs.release();
  readonly #lostDialogs: LostDialogReleaser;

  constructor(opts: SipAppOptions) {
    this.#o = opts;
    this.#log = opts.logger.child({ component: 'sip' });
    this.#srf = srfApi(opts.connection.srf);
    this.#lostDialogs = new LostDialogReleaser({ srf: this.#srf, log: this.#log });
    const s = opts.config;
    const t = opts.timing ?? {};
    this.registrar =
      s.register && s.server !== undefined && s.server !== '' && s.uri !== undefined
        ? new Registrar({
            srf: this.#srf,
            connection: opts.connection,
            aor: s.uri,
            server: { host: s.server, port: s.port },
            transport: s.transport,
            password: s.password,
            expiresSeconds: s.registerExpires,
            logger: opts.logger,
            // CRLF is not something drachtio-server's app API can send, so it gets OPTIONS too.
            keepAlive: s.keepAliveMethod === 'none' ? undefined : { intervalMs: t.keepAliveIntervalMs ?? s.keepAliveIntervalSeconds * 1000 },
            ...(t.registerTimeoutMs !== undefined ? { requestTimeoutMs: t.registerTimeoutMs } : {}),
            ...(t.registerBackoff !== undefined ? { backoff: t.registerBackoff } : {}),
          })
        : undefined;
  }

  /** Live legs (inbound and answered outbound), for diagnostics. */
  get legCount(): number {
    return this.#legs.size;
  }

  start(): void {
    if (this.#started || this.#stopped !== undefined) return;
    this.#started = true;
    this.#accepting = true;
    const o = this.#o;
    const s = o.config;
    const count = (status: number): void => o.metrics?.response(status);
    const warnAgent = (): string => this.#warnAgent();
    const trusted = new CidrSet(s.trustedNetworks);
    // Trusted networks are the operator's own PBXs, trunks and load balancers: all their calls
    // come from a few addresses, and capacity (MAX_CALLS) already bounds them.
    const limiter = new SourceLimiter({ perSecond: s.rateLimit.perSecond, burst: s.rateLimit.burst, exempt: (a) => trusted.has(a) });
    const throttle = limiter.enabled
      ? new SourceThrottle({ limiter, action: s.rateLimit.action, count: (m, a) => o.metrics?.throttled?.(m, a), log: this.#log })
      : undefined;
    const admission = new InviteAdmission({
      log: this.#log,
      ...(throttle !== undefined ? { throttle } : {}),
      auth: { trusted, digest: new DigestAuthenticator(s.realm, s.inboundUsers, o.timing?.nonceTtlMs) },
      admission: o.admission,
      routing: this.#routingRules(),
      checkOffer: o.checkOffer ?? codecOfferCheck(),
      warnAgent,
      countResponse: count,
      accepting: () => this.#accepting,
      ...(o.timing?.retryAfterSeconds !== undefined ? { retryAfterSeconds: o.timing.retryAfterSeconds } : {}),
    });
    const handler = inboundCallHandler({
      srf: this.#srf,
      log: this.#log,
      admission,
      onInboundCall: o.onInboundCall,
      countResponse: count,
      warnAgent,
      track: (leg) => this.#track(leg),
      callerNames: s.callerNames,
      ...(o.timing?.ackTimeoutMs !== undefined ? { ackTimeoutMs: o.timing.ackTimeoutMs } : {}),
      ...(o.timing?.byeTimeoutMs !== undefined ? { byeTimeoutMs: o.timing.byeTimeoutMs } : {}),
    });
    this.#srf.use('invite', ...admission.middleware(), handler);
    this.#srf.use('options', optionsHandler({ readiness: () => this.#readiness(), log: this.#log, ...(throttle !== undefined ? { throttle } : {}) }));
    o.connection.on('disconnected', this.#onDisconnected);
    o.connection.on('connected', this.#onConnected);
    this.registrar?.start();
    if (this.registrar !== undefined && s.keepAliveMethod === 'crlf') {
      this.#log.warn('JIGASI_SIP_KEEP_ALIVE_METHOD=CRLF: drachtio-server cannot send bare CRLF keep-alives; sending OPTIONS instead');
    }
    const open = s.trustedNetworks.length === 0 && s.inboundUsers.length === 0;
    if (open) this.#log.warn('no SIP_TRUSTED_NETWORKS and no SIP_INBOUND_USERS: anyone who reaches the SIP port may call');
    const keepAlive = this.registrar === undefined || s.keepAliveMethod === 'none' ? 'none' : 'options';
    const rateLimit = throttle === undefined ? 'off' : `${s.rateLimit.perSecond}/s burst ${s.rateLimit.burst} (${s.rateLimit.action})`;
    this.#log.info({ registration: this.registrar !== undefined, keepAlive, open, rateLimit }, 'SIP app started');
  }

  /**
   * Stops taking calls (INVITE and OPTIONS answer 503 from now on) and un-registers. Live legs
   * are left to their calls, which the call layer closes first on shutdown.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#accepting = false;
    this.#o.connection.off('disconnected', this.#onDisconnected);
    this.#o.connection.off('connected', this.#onConnected);
    await this.registrar?.stop();
    this.#log.info('SIP app stopped');
  }

  /** Dials out through the configured server with the account's identity and credentials. */
  placeCall(req: DialOutRequest): PendingOutboundCall {
    const s = this.#o.config;
    const account = s.uri;
    const host = s.server !== undefined && s.server !== '' ? s.server : account === undefined ? undefined : uriHost(account)?.split(':')[0];
    if (host === undefined) {
      const failed = Promise.reject(new OutboundCallError(0, 'unreachable', 'no SIP server or account configured for dial-out'));
      return Object.assign(failed, { cancel: () => undefined });
    }
    const user = account === undefined ? 'jigasi' : (userOf(account) ?? 'jigasi');
    const opts: PlaceCallOptions = {
      number: req.number,
      prefix: s.outboundPrefix,
      server: { host, port: s.port },
      transport: s.transport,
      from: {
        user,
        ...(account !== undefined ? { host: uriHost(account) ?? 'localhost' } : {}),
        ...(req.fromDisplayName !== undefined ? { displayName: req.fromDisplayName } : {}),
      },
      localSdp: req.localSdp,
      ...(req.headers !== undefined ? { headers: req.headers } : {}),
      ...(s.password !== undefined && s.password !== '' ? { auth: { username: user, password: s.password } } : {}),
      ...(req.ringTimeoutMs !== undefined ? { ringTimeoutMs: req.ringTimeoutMs } : {}),
      ...(req.onProvisional !== undefined ? { onProvisional: req.onProvisional } : {}),
      ...(req.signal !== undefined ? { signal: req.signal } : {}),
    };
    const log = this.#log.child({ direction: 'out' });
    const pending = placeCall(this.#srf, opts, {
      log,
      warnAgent: this.#warnAgent(),
      ...(this.#o.timing?.byeTimeoutMs !== undefined ? { byeTimeoutMs: this.#o.timing.byeTimeoutMs } : {}),
    });
    pending.then(
      (leg) => this.#track(leg),
      () => undefined,
    );
    return pending;
  }

  /**
   * Calls a transfer target (a REFER's Refer-To URI) as it is, straight to the host it names,
   * with the account's identity and credentials like dial-out.
   */
  placeTransferCall(req: TransferCallRequest): PendingOutboundCall {
    const account = this.#o.config.uri;
    const password = this.#o.config.password;
    const user = account === undefined ? 'jigasi' : (userOf(account) ?? 'jigasi');
    const pending = placeCallTo(
      this.#srf,
      req.uri,
      {
        from: {
          user,
          ...(account !== undefined ? { host: uriHost(account) ?? 'localhost' } : {}),
          ...(req.fromDisplayName !== undefined ? { displayName: req.fromDisplayName } : {}),
        },
        localSdp: req.localSdp,
        headers: req.headers,
        ...(password !== undefined && password !== '' ? { auth: { username: user, password } } : {}),
        ringTimeoutMs: req.ringTimeoutMs,
        ...(req.onProvisional !== undefined ? { onProvisional: req.onProvisional } : {}),
      },
      { log: req.log, warnAgent: this.#warnAgent(), ...(this.#o.timing?.byeTimeoutMs !== undefined ? { byeTimeoutMs: this.#o.timing.byeTimeoutMs } : {}) },
    );
    pending.then(
      (leg) => this.#track(leg),
      () => undefined,
    );
    return pending;
  }

  #track(leg: LegBase): void {
    if (leg.endCause !== undefined) return;
    this.#legs.add(leg);
    leg.once('ended', () => this.#legs.delete(leg));
  }

  #connectionLost(reason: string): void {
    if (this.#legs.size === 0) return;
    this.#log.warn({ legs: this.#legs.size, reason }, 'drachtio connection lost; ending every SIP leg');
    for (const leg of [...this.#legs]) {
      const lost = leg.connectionLost();
      if (lost !== undefined) this.#lostDialogs.add(lost);
    }
  }

  #readiness(): SipReadiness {
    const retry = this.#o.timing?.retryAfterSeconds ?? { draining: 300, capacity: 10 };
    if (!this.#accepting) return { ready: false, reason: 'the gateway is shutting down', retryAfterSeconds: retry.draining };
    if (this.#o.readiness !== undefined) return this.#o.readiness();
    const d = this.#o.admission();
    if (!d.refused) return { ready: true };
    return { ready: false, reason: d.reason, retryAfterSeconds: d.reason === 'draining' ? retry.draining : retry.capacity };
  }

  #warnAgent(): string {
    const hp = this.#o.connection.serverInfo?.hostports[0];
    return hp === undefined ? 'jitsi-sip-gateway' : `${hp.address}:${hp.port}`;
  }

  #routingRules(): RoutingRules {
    const s = this.#o.config;
    return {
      layout: this.#o.layout,
      roomHeaders: s.roomHeaders,
      roomPasswordHeader: s.roomPasswordHeader,
      domainBaseHeaders: s.domainBaseHeaders,
      tenantHeader: s.tenantHeader,
      numberMap: s.numberMap,
      defaultRoom: s.defaultRoom,
      pinPrompt: (s.conferenceMapperUrl !== undefined && s.conferenceMapperUrl !== '') || this.#o.builtinPinPrompt !== undefined,
      oneTap: this.#o.builtinPinPrompt ?? { ownNumbers: [], pinDigits: undefined },
    };
  }
}
