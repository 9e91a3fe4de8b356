import { BridgeTransportError, type BridgeFailureReason } from '../media/bridge/errors.js';
import { JingleParseError, NegotiationError } from '../xmpp/jingle/errors.js';
import type { JingleReasonCondition } from '../xmpp/jingle/build.js';
import { MissingTransportError } from './bridge-session.js';
import type { CloseReason } from './registry.js';

/**
 * The reasons a call ends, each with its termination class and the SIP status used when the
 * caller's leg is still unanswered. Wrappers pick from here; Call.close does the work.
 */
export const Reasons = {
  callerBye: { cls: 'normal', cause: 'caller-bye' },
  callerCancel: { cls: 'normal', cause: 'caller-cancel' },
  kicked: { cls: 'normal', cause: 'kicked', sipStatus: 603 },
  hangupRequested: { cls: 'normal', cause: 'hangup-requested', sipStatus: 487 },
  roomDestroyed: { cls: 'normal', cause: 'room-destroyed', sipStatus: 480 },
  shutdown: { cls: 'normal', cause: 'shutdown', sipStatus: 503 },
  wrongPin: { cls: 'caller_error', cause: 'wrong-pin' },
  lobbyDenied: { cls: 'caller_error', cause: 'lobby-denied', sipStatus: 403 },
  lobbyTimeout: { cls: 'timeout', cause: 'lobby-timeout', sipStatus: 408 },
  wrongPassword: { cls: 'caller_error', cause: 'wrong-password', sipStatus: 403 },
  roomFull: { cls: 'caller_error', cause: 'room-full', sipStatus: 486 },
  banned: { cls: 'caller_error', cause: 'banned', sipStatus: 403 },
  badSdp: { cls: 'caller_error', cause: 'bad-sdp', sipStatus: 488 },
  noSessionInitiate: { cls: 'timeout', cause: 'no-session-initiate', sipStatus: 480 },
  resumeWindowExpired: { cls: 'upstream_error', cause: 'session-not-resumed', sipStatus: 480 },
  bridgeFailed: { cls: 'upstream_error', cause: 'bridge-failed', sipStatus: 503 },
  noBridgeMedia: { cls: 'upstream_error', cause: 'no-bridge-media', sipStatus: 503 },
  callerRtpTimeout: { cls: 'timeout', cause: 'caller-rtp-timeout' },
  xmppLost: { cls: 'upstream_error', cause: 'xmpp-lost', sipStatus: 503 },
  xmppReconnectFailed: { cls: 'upstream_error', cause: 'xmpp-reconnect-failed', sipStatus: 503 },
  joinFailed: { cls: 'upstream_error', cause: 'join-failed', sipStatus: 503 },
  sipLost: { cls: 'upstream_error', cause: 'sip-lost' },
  mediaServerLost: { cls: 'upstream_error', cause: 'media-server-lost', sipStatus: 503 },
  portsExhausted: { cls: 'internal_error', cause: 'media-ports-exhausted', sipStatus: 503 },
  mediaWorkerDied: { cls: 'internal_error', cause: 'media-worker-died', sipStatus: 503 },
  internal: { cls: 'internal_error', cause: 'internal-error', sipStatus: 500 },
  calleeBye: { cls: 'normal', cause: 'callee-bye' },
  calleeBusy: { cls: 'normal', cause: 'busy' },
  calleeNoAnswer: { cls: 'normal', cause: 'no-answer' },
  calleeDeclined: { cls: 'normal', cause: 'declined' },
  dialFailed: { cls: 'upstream_error', cause: 'dial-failed' },
  /** The phone's side was transferred elsewhere at the operator's request. */
  transferred: { cls: 'normal', cause: 'transferred' },
} as const satisfies Record<string, CloseReason>;

/** Who ended a call: the phone's side, the meeting (a person or the room's rules), or the gateway. */
export type CallEndSide = 'phone' | 'meeting' | 'gateway';

const PHONE_ENDED: ReadonlySet<string> = new Set(
  [Reasons.callerBye, Reasons.callerCancel, Reasons.calleeBye, Reasons.calleeBusy, Reasons.calleeNoAnswer, Reasons.calleeDeclined, Reasons.dialFailed].map(
    (r) => r.cause,
  ),
);
const MEETING_ENDED: ReadonlySet<string> = new Set(
  [Reasons.kicked, Reasons.hangupRequested, Reasons.roomDestroyed, Reasons.lobbyDenied, Reasons.wrongPassword, Reasons.roomFull, Reasons.banned].map(
    (r) => r.cause,
  ),
);

/**
 * The side whose action ended the call (for the CDR). Timeouts, failures and shutdown are the
 * gateway's decision, whatever caused them.
 */
export function endedBy(reason: CloseReason): CallEndSide {
  if (PHONE_ENDED.has(reason.cause)) return 'phone';
  if (MEETING_ENDED.has(reason.cause)) return 'meeting';
  return 'gateway';
}

/**
 * The reason for a call whose setup threw: 503 when the thrown error says the media is unavailable
 * (the port range full, or the media server gone).
 */
export function setupFailureReason(err: unknown): CloseReason {
  if (err === null || typeof err !== 'object') return Reasons.internal;
  const { sipStatus, metricLabel } = err as { sipStatus?: unknown; metricLabel?: unknown };
  if (sipStatus !== 503) return Reasons.internal;
  return metricLabel === 'port_exhausted' ? Reasons.portsExhausted : Reasons.mediaServerLost;
}

/** The Jingle condition that tells the focus why the media side gave up. */
const BRIDGE_JINGLE_REASON: Record<BridgeFailureReason, JingleReasonCondition> = {
  'ice-timeout': 'connectivity-error',
  'ice-failed': 'connectivity-error',
  'consent-expired': 'connectivity-error',
  'dtls-timeout': 'failed-transport',
  'dtls-failed': 'failed-transport',
  'dtls-closed': 'failed-transport',
  'fingerprint-mismatch': 'security-error',
  'no-srtp-profile': 'security-error',
  superseded: 'general-error',
  closed: 'general-error',
};

/**
 * Why the bridge side could not be set up, as a close reason. Every refusal of the focus's offer
 * ends the call at once the same way: 503 to a caller still ringing (BYE if answered), a cause
 * naming the refusal, and a session-terminate saying why (unless the offer never made a session).
 */
export function bridgeFailureReason(err: Error): CloseReason {
  const base = { cls: 'upstream_error', sipStatus: 503 } as const;
  if (err instanceof NegotiationError) return { ...base, cause: 'offer-incompatible', jingleReason: err.jingleReason };
  if (err instanceof JingleParseError) return { ...base, cause: 'offer-malformed' };
  if (err instanceof MissingTransportError) return { ...base, cause: 'offer-no-transport', jingleReason: 'failed-transport' };
  if (err instanceof BridgeTransportError) return bridgeTransportReason(err.reason);
  return Reasons.bridgeFailed;
}

/** The bridge transport (ICE, DTLS, consent) failed for `reason`. */
export function bridgeTransportReason(reason: BridgeFailureReason): CloseReason {
  return { cls: 'upstream_error', sipStatus: 503, cause: `bridge-${reason}`, jingleReason: BRIDGE_JINGLE_REASON[reason] };
}
