/** Errors of the SIP side, each carrying its verdict (SIP status and metric label). */

/** An admission step's decision to turn an INVITE away; the chain answers it with `status`. */
export class SipRejection extends Error {
  constructor(
    readonly status: number,
    /** Why, for the log and the Reason/Warning header. */
    readonly reason: string,
    /** Short, bounded label for metrics and logs, e.g. 'untrusted', 'capacity'. */
    readonly label: string,
    /** Extra response headers (WWW-Authenticate, Retry-After, Warning…). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`${status} ${label}: ${reason}`);
    this.name = 'SipRejection';
  }
}

/** An operation that the leg's current state does not allow (answer after hangup, INFO before answer…). */
export class SipLegStateError extends Error {
  readonly metricLabel = 'internal_error';
  constructor(message: string) {
    super(message);
    this.name = 'SipLegStateError';
  }
}

/** Why a leg ended. */
export type LegEndCause =
  | 'cancelled'
  | 'remote-bye'
  | 'local-hangup'
  | 'rejected'
  | 'ack-timeout'
  | 'connection-lost'
  | 'answer-failed';

/** answer() could not complete because the leg ended meanwhile (CANCEL, no ACK, lost connection). */
export class LegEndedError extends Error {
  readonly metricLabel: string;
  constructor(readonly endCause: LegEndCause, detail?: string) {
    super(`SIP leg ended (${endCause})${detail === undefined ? '' : `: ${detail}`}`);
    this.name = 'LegEndedError';
    this.metricLabel = endCause === 'cancelled' || endCause === 'remote-bye' ? 'caller_error' : 'internal_error';
  }
}

/** A request the app sent inside a dialog (INFO…) was refused or could not be sent. */
export class SipRequestError extends Error {
  constructor(
    readonly method: string,
    /** The final status, or undefined when drachtio could not send the request at all. */
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SipRequestError';
  }
}

export type OutboundFailure =
  | 'busy'
  | 'no-answer'
  | 'declined'
  | 'not-found'
  | 'cancelled'
  | 'auth-failed'
  | 'invalid-number'
  | 'unreachable'
  | 'failed';

/** Maps a final failure status of an INVITE we sent to what it means for the dialler. */
export function outboundFailureOf(status: number): OutboundFailure {
  if (status === 486 || status === 600) return 'busy';
  if (status === 408 || status === 480 || status === 487) return 'no-answer';
  if (status === 603) return 'declined';
  if (status === 404 || status === 484 || status === 604) return 'not-found';
  if (status === 401 || status === 407) return 'auth-failed';
  return 'failed';
}

/** A dial-out that did not end in an answered call. */
export class OutboundCallError extends Error {
  readonly metricLabel: string;
  constructor(
    /** Final SIP status (487 after our CANCEL; 0 when no response was ever received). */
    readonly status: number,
    readonly reason: OutboundFailure,
    /** The far end's reason phrase or our own explanation. */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`outbound call failed: ${reason} (${status === 0 ? 'no response' : status} ${detail})`, options);
    this.name = 'OutboundCallError';
    this.metricLabel =
      reason === 'busy' || reason === 'no-answer' || reason === 'declined' || reason === 'not-found' || reason === 'cancelled'
        ? 'normal'
        : reason === 'invalid-number'
          ? 'caller_error'
          : 'upstream_error';
  }
}
