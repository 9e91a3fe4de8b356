/** Errors of the caller-side media endpoint; each knows its metric label. */

/** Why a prompt or a digit collection ended without a result. */
export type PromptCancelReason = 'closed' | 'superseded';

/**
 * A play() or playAndCollect() that could not finish: the endpoint was closed (the call is going
 * away) or a newer prompt replaced it. Rejecting, rather than resolving '', keeps "the caller
 * typed nothing" apart from "there is no caller any more", so a PIN loop stops at once.
 */
export class PromptCancelledError extends Error {
  override readonly name = 'PromptCancelledError';
  readonly reason: PromptCancelReason;

  constructor(reason: PromptCancelReason) {
    super(reason === 'closed' ? 'prompt cancelled: caller media closed' : 'prompt cancelled: superseded by a newer prompt');
    this.reason = reason;
  }

  get metricLabel(): string {
    return `prompt_${this.reason}`;
  }
}

/** A method called in a state where it cannot work (before SDP negotiation, after close, ...). */
export class CallerMediaStateError extends Error {
  override readonly name = 'CallerMediaStateError';
  readonly metricLabel = 'caller_media_state';
}
