import { normalizeNumber } from '../config/number-map.js';
import { referAllowed, type ReferPolicy } from '../config/refer-policy.js';
import type { Logger } from '../log.js';
import type { CallMedia } from '../media/call-media.js';
import type { CallerNames } from '../sip/caller-identity.js';
import type { IncomingRefer } from '../sip/dialog-transfer.js';
import { OutboundCallError } from '../sip/errors.js';
import type { PendingOutboundCall } from '../sip/outbound.js';
import type { ReferTarget } from '../sip/refer-messages.js';
import type { TransferCallRequest } from '../sip/sip-app.js';
import type { SipLeg } from '../sip/sip-leg.js';
import { settleWithin } from '../util/deadline.js';
import type { TransferableLeg } from './transferable-leg.js';

/** Places the call to a transfer target (SipApp.placeTransferCall). */
export type TransferDialler = (req: TransferCallRequest) => PendingOutboundCall;

/** Who the meeting sees after a transfer. */
export interface TransferredParty {
  displayName: string;
  number: string | undefined;
}

/** What the process gives every call for transfers (CallDeps.transfer). */
export interface TransferSettings {
  policy: ReferPolicy;
  dial: TransferDialler;
  /** How long the target may ring (DIALOUT_RING_TIMEOUT). */
  ringTimeoutMs: number;
  /** Names for known numbers (SIP_NUMBER_MAP_FILE). */
  names: CallerNames;
}

export interface PhoneTransferOptions extends TransferSettings {
  leg: TransferableLeg;
  media: CallMedia;
  log: Logger;
  /** The call is in its meeting and not closing: only then may its phone side move. */
  ready: () => boolean;
  /** From display name on the INVITE to the target (the meeting's name). */
  fromDisplayName: string | undefined;
  /** The target answered and the call now runs on its leg. */
  transferred: (party: TransferredParty) => void;
  /** The new leg could not take the media: the call cannot go on. */
  failed: (err: unknown) => void;
}

/** How long the old leg's BYE may take before the media moves anyway. */
const OLD_LEG_BYE_WAIT_MS = 1000;

/**
 * A REFER from the phone's side (RFC 3515, as RFC 5589 describes blind transfer): the gateway, as
 * transferee, calls the Refer-To target and moves the meeting participant to it. 202 and NOTIFY
 * 100 at once; a final NOTIFY with the target's answer; on success the old leg gets BYE and the
 * caller-side media is re-anchored to the target; on failure the original call goes on.
 */
export class PhoneTransfer {
  #busy = false;

  constructor(private readonly o: PhoneTransferOptions) {}

  /** The leg's REFER handler. */
  readonly handle = (refer: IncomingRefer): void => {
    void this.#run(refer).catch((err: unknown) => this.o.log.error({ err }, 'transfer failed unexpectedly'));
  };

  async #run(refer: IncomingRefer): Promise<void> {
    const o = this.o;
    const target = refer.target;
    if (!referAllowed(o.policy, target.uri)) {
      o.log.info({ policy: o.policy.kind }, 'transfer refused by SIP_REFER_POLICY');
      await refer.reject(403, 'transfer not allowed');
      return;
    }
    if (!o.ready()) {
      await refer.reject(403, 'the call is not in a meeting');
      return;
    }
    if (this.#busy) {
      await refer.reject(491, 'a transfer is already under way');
      return;
    }
    this.#busy = true;
    try {
      await this.#transfer(refer, target);
    } finally {
      this.#busy = false;
    }
  }

  async #transfer(refer: IncomingRefer, target: ReferTarget): Promise<void> {
    const o = this.o;
    o.log.info({ attended: target.replaces !== undefined }, 'transfer requested by the phone; calling the target');
    await refer.accept();
    const headers: Record<string, string> = {};
    if (refer.referredBy !== undefined) headers['Referred-By'] = refer.referredBy;
    if (target.replaces !== undefined) headers['Replaces'] = target.replaces;
    let ringingSent = false;
    let newLeg: SipLeg;
    try {
      const offer = await o.media.offerToCaller();
      newLeg = await o.dial({
        uri: target.uri,
        localSdp: offer,
        headers,
        ...(o.fromDisplayName !== undefined ? { fromDisplayName: o.fromDisplayName } : {}),
        ringTimeoutMs: o.ringTimeoutMs,
        onProvisional: (status) => {
          if (status !== 180 || ringingSent) return;
          ringingSent = true;
          void refer.notify(180, 'Ringing');
        },
        log: o.log.child({ leg: 'transfer' }),
      });
    } catch (err) {
      const { status, reason } = failureStatus(err);
      o.log.info({ status, reason }, 'transfer target not reached; the call goes on');
      await refer.notify(status, reason);
      return;
    }
    if (!o.ready() || newLeg.remoteSdp === undefined) {
      // The call ended while the target rang (or the target gave no SDP): it has no one to join.
      await refer.notify(503, 'Service Unavailable');
      await newLeg.hangup('transfer abandoned');
      return;
    }
    await refer.notify(200, 'OK');
    const old = o.leg.replace(newLeg);
    // The phone that sent the REFER hangs up first, so its last RTP cannot take the media port's
    // latch from the target once the media points there.
    await settleWithin(
      old.hangup('transferred').catch(() => undefined),
      OLD_LEG_BYE_WAIT_MS,
    );
    try {
      await o.media.acceptCallerAnswer(newLeg.remoteSdp);
    } catch (err) {
      o.failed(err);
      return;
    }
    const party = shownParty(target, o.names);
    o.log.info({ number: party.number }, 'transferred: the meeting participant now talks to the target');
    o.transferred(party);
  }
}

function failureStatus(err: unknown): { status: number; reason: string } {
  if (err instanceof OutboundCallError) {
    if (err.reason === 'no-answer') return { status: 408, reason: 'Request Timeout' };
    if (err.status >= 300) return { status: err.status, reason: err.detail };
  }
  return { status: 503, reason: 'Service Unavailable' };
}

/** The target as the meeting should see it: its Refer-To name, a directory name, or its number. */
function shownParty(target: ReferTarget, names: CallerNames): TransferredParty {
  const number = target.user;
  const key = number === undefined ? undefined : normalizeNumber(number);
  const listed = key !== undefined && Object.hasOwn(names, key) ? names[key] : undefined;
  return { displayName: listed ?? target.displayName ?? number ?? 'Phone', number };
}
