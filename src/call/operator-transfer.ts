import type { Logger } from '../log.js';
import type { OutgoingRefer, ReferOutcome } from '../sip/dialog-transfer.js';
import type { SipLeg } from '../sip/sip-leg.js';

/** How long POST /calls/{id}/transfer waits for the phone side's final NOTIFY before answering "pending". */
export const OPERATOR_TRANSFER_WAIT_MS = 4000;

/** What POST /calls/{id}/transfer answers. */
export type OperatorTransferResult =
  /** The call is not answered, or already being transferred: 409. */
  | { kind: 'not-possible'; reason: string }
  /** The phone's side refused the REFER (or it could not be sent): 502. */
  | { kind: 'refused'; referStatus: number | undefined; reason: string }
  /**
   * The phone's side took the REFER (202). `outcome` is what its NOTIFYs said within the wait:
   * transferred (final 2xx: the participant leaves the meeting), failed (final non-2xx, the call
   * goes on) or pending (no final word yet; it is logged when it comes).
   */
  | { kind: 'accepted'; referStatus: number; outcome: 'transferred' | 'failed' | 'pending'; finalStatus?: number; finalReason?: string };

/** A call the operator can transfer out of its meeting. */
export interface OperatorTransferable {
  transferOut(targetUri: string, waitMs: number): Promise<OperatorTransferResult>;
}

export function isOperatorTransferable(call: unknown): call is OperatorTransferable {
  return typeof (call as Partial<OperatorTransferable> | null)?.transferOut === 'function';
}

/**
 * Blind transfer of the phone's side out of the meeting (RFC 3515 / RFC 5589): REFER toward the
 * phone, then its NOTIFYs. A final 2xx calls `done` (the call then ends normally, BYE and leave);
 * anything else leaves the call as it was.
 */
export async function referOut(
  leg: SipLeg,
  targetUri: string,
  waitMs: number,
  log: Logger,
  done: (outcome: ReferOutcome) => void,
): Promise<OperatorTransferResult> {
  if (leg.state !== 'answered') return { kind: 'not-possible', reason: 'the call is not answered' };
  let sent: OutgoingRefer;
  try {
    sent = await leg.refer(targetUri);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    // One REFER at a time per dialog: a second one is the operator's conflict, not the phone's refusal.
    if (/already under way/.test(reason)) return { kind: 'not-possible', reason };
    return { kind: 'refused', referStatus: undefined, reason };
  }
  if (sent.status < 200 || sent.status >= 300) {
    log.info({ referStatus: sent.status }, 'the phone side refused the transfer');
    return { kind: 'refused', referStatus: sent.status, reason: `REFER answered ${sent.status}` };
  }
  log.info({ referStatus: sent.status }, 'transfer out of the meeting accepted by the phone side');
  const outcome = sent.outcome.then((o) => {
    if (o !== undefined && o.status >= 200 && o.status < 300) {
      log.info({ sipfrag: o.status }, 'transfer out of the meeting succeeded');
      done(o);
    } else {
      log.info({ sipfrag: o?.status, reason: o?.reason }, 'transfer out of the meeting failed; the call goes on');
    }
    return o;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), waitMs)));
  const first = await Promise.race([outcome, timeout]);
  clearTimeout(timer);
  if (first === 'pending') return { kind: 'accepted', referStatus: sent.status, outcome: 'pending' };
  if (first === undefined) return { kind: 'accepted', referStatus: sent.status, outcome: 'failed' };
  const ok = first.status >= 200 && first.status < 300;
  return { kind: 'accepted', referStatus: sent.status, outcome: ok ? 'transferred' : 'failed', finalStatus: first.status, finalReason: first.reason };
}
