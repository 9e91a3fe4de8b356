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
  joinFailed: { cls: 'upstream_error', cause: 'join-failed', sipStatus: 503 },
  sipLost: { cls: 'upstream_error', cause: 'sip-lost' },
  mediaServerLost: { cls: 'upstream_error', cause: 'media-server-lost', sipStatus: 503 },
  internal: { cls: 'internal_error', cause: 'internal-error', sipStatus: 500 },
  calleeBye: { cls: 'normal', cause: 'callee-bye' },
  calleeBusy: { cls: 'normal', cause: 'busy' },
  calleeNoAnswer: { cls: 'normal', cause: 'no-answer' },
  calleeDeclined: { cls: 'normal', cause: 'declined' },
  dialFailed: { cls: 'upstream_error', cause: 'dial-failed' },
} as const satisfies Record<string, CloseReason>;

/** The reason for a call whose setup threw: 503 when the thrown error says the media is unavailable. */
export function setupFailureReason(err: unknown): CloseReason {
  const status = err !== null && typeof err === 'object' ? (err as { sipStatus?: unknown }).sipStatus : undefined;
  return status === 503 ? Reasons.mediaServerLost : Reasons.internal;
}
