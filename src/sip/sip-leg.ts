import type { RouteDecision } from './admission/route.js';
import type { LegEndCause } from './errors.js';
import type { OutgoingRefer, ReferHandler } from './dialog-transfer.js';
import type { DtmfDigit, DtmfInfo, JsonInfoMessage } from './info-payloads.js';
import type { TypedEmitter } from '../util/typed-emitter.js';

/**
 * The narrow view of one SIP call leg that the call layer uses. The drachtio implementations
 * are DrachtioInboundLeg (inbound-leg.ts) and DrachtioOutboundLeg (outbound-leg.ts).
 *
 * States: 'ringing' until the call is answered and confirmed (inbound: the caller's ACK arrived;
 * outbound: the 200 arrived), then 'answered', and 'ended' from the moment either side ends
 * it (CANCEL, BYE, rejection, hangup(), lost drachtio connection).
 */
export type SipLegState = 'ringing' | 'answered' | 'ended';

export type SipLegEvents = {
  /** The caller sent CANCEL before the answer; drachtio-server has already answered 487. */
  cancelled: [];
  /** The far end sent BYE (or the drachtio connection was lost); the text of its Reason if any. */
  hungUp: [reason: string];
  /** A re-INVITE / UPDATE offer; informational, the answer comes from the reinvite handler. */
  reinvite: [offer: string];
  /** The far end's SDP answer arrived in an ACK (late-offer call answered, offerless re-INVITE). */
  remoteAnswer: [answer: string];
  /** A digit from SIP INFO (application/dtmf-relay or application/dtmf). */
  dtmf: [info: DtmfInfo];
  /** A jigasi JSON protocol message from SIP INFO (application/json); it was answered 200. */
  jsonInfo: [message: JsonInfoMessage];
  /** Emitted once whenever the leg ends, after the more specific event above. */
  ended: [cause: LegEndCause, detail: string];
};

/**
 * Produces our SDP answer to a re-INVITE / UPDATE offer. Throwing an error with
 * `sipStatus` 488 (SdpNegotiationError) refuses the offer with 488 and the dialog continues.
 */
export type ReinviteHandler = (offer: string) => Promise<string>;

type LegEventSource = Pick<TypedEmitter<SipLegEvents>, 'on' | 'off' | 'once' | 'waitFor'>;

export interface SipLeg extends LegEventSource {
  readonly direction: 'in' | 'out';
  readonly callId: string;
  readonly state: SipLegState;
  /** The far end's current SDP (offer or answer); undefined for a late-offer INVITE before its ACK. */
  readonly remoteSdp: string | undefined;
  /** Our current SDP once we sent one. */
  readonly localSdp: string | undefined;
  /**
   * The SIP dialog is gone (srf forgot it) while the leg still counts as live: an event was
   * lost. Never true in a healthy process; the registry's reaper ends such calls.
   */
  readonly dialogGone: boolean;
  /** Without a handler a re-INVITE is answered with our current SDP unchanged. */
  setReinviteHandler(handler: ReinviteHandler | undefined): void;
  /** Who takes a REFER from the far end (transfer); without a handler a REFER gets 405. */
  setReferHandler(handler: ReferHandler | undefined): void;
  /**
   * Sends REFER: asks the far end to call `targetUri` instead of us (blind transfer, RFC 3515).
   * Rejects with SipLegStateError unless answered; the result carries the REFER's status and the outcome.
   */
  refer(targetUri: string, referredBy?: string): Promise<OutgoingRefer>;
  /** Ends the leg (BYE when answered); idempotent, resolves once the far end was told. */
  hangup(reason?: string): Promise<void>;
  /** Sends a JSON INFO; rejects with SipRequestError when refused. Only once the dialog exists. */
  sendJsonInfo(message: JsonInfoMessage): Promise<void>;
  /** Sends a digit as INFO application/dtmf-relay (for peers without RFC 4733). */
  sendDtmfInfo(digit: DtmfDigit, durationMs?: number): Promise<void>;
}

export interface InboundSipLeg extends SipLeg {
  readonly direction: 'in';
  /** The INVITE had no SDP: answer() then carries our offer and the ACK brings the answer. */
  readonly lateOffer: boolean;
  /**
   * Sends 180 Ringing once. SipApp's INVITE handler calls it before handing the leg to the call
   * layer (the contract wants 180 at once), so a later call is a no-op.
   */
  ringing(): void;
  /**
   * Answers with 200 carrying `localSdp` (our answer, or our offer for a late-offer INVITE) and
   * resolves when the caller's ACK arrives, i.e. when media may flow both ways and RFC 3261
   * allows a BYE. Rejects with LegEndedError when the caller cancelled, hung up or never ACKed.
   */
  answer(localSdp: string): Promise<void>;
  /** Final failure response before the answer (e.g. 480, 486, 603); no-op once ended. */
  reject(status: number, reason?: string): Promise<void>;
  /** BYE when answered; before the answer the final response `unansweredStatus` (480 by default). */
  hangup(reason?: string, unansweredStatus?: number): Promise<void>;
}

export interface OutboundSipLeg extends SipLeg {
  readonly direction: 'out';
}

export interface CallParty {
  displayName: string | undefined;
  /** User part of the URI: the caller's number or extension. */
  user: string | undefined;
  uri: string;
}

export interface InboundCallMeta {
  callId: string;
  /** The caller as shown: P-Asserted-Identity, else Remote-Party-ID, else From (caller-identity.ts). */
  from: CallParty;
  /** The caller withheld their identity: from shows 'Anonymous' and no number or URI. */
  anonymous?: boolean;
  to: CallParty;
  requestUri: string;
  source: { address: string; port: number; protocol: string };
  lateOffer: boolean;
  /** The digest user the caller authenticated as; undefined when admitted as trusted/open. */
  authenticatedUser: string | undefined;
  /** Any header of the INVITE (case-insensitive); undefined when absent. */
  header(name: string): string | undefined;
}

/** Where an admitted call goes: a room, or a PIN prompt that will find the room. */
export type InboundRoute = Exclude<RouteDecision, { kind: 'reject' }>;

/** The call layer's entry point for every admitted INVITE (the leg has already sent 180). */
export type InboundCallPort = (leg: InboundSipLeg, route: InboundRoute, meta: InboundCallMeta) => void | Promise<void>;
