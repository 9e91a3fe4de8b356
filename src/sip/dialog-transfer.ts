import type { Logger } from '../log.js';
import {
  eventId,
  isReferEvent,
  parseReferTo,
  parseSipfrag,
  referEvent,
  referredByValue,
  referToHeader,
  sipfragBody,
  SIPFRAG_TYPE,
  subscriptionState,
  type ReferTarget,
} from './refer-messages.js';
import { cseqNumber } from './registration-messages.js';
import { respond } from './respond.js';
import { mediaType, warningHeader } from './sip-headers.js';
import type { SrfDialog, SrfIncomingRequest, SrfServerResponse } from './srf-types.js';

/** A REFER the far end sent inside the call: the handler answers it and reports progress. */
export interface IncomingRefer {
  readonly target: ReferTarget;
  /** The Referred-By to put on the INVITE to the target (RFC 3892), when the REFER had a usable one. */
  readonly referredBy: string | undefined;
  /** 202 Accepted, then the first NOTIFY (100 Trying). */
  accept(): Promise<void>;
  /** A final refusal (403 by policy, 491 while another transfer runs…). */
  reject(status: number, reason: string): Promise<void>;
  /**
   * NOTIFY message/sipfrag with the attempt's status; a final one (>= 200) ends the implicit
   * subscription. Resolves once answered or failed: a NOTIFY the far end ignores changes nothing.
   */
  notify(status: number, reason: string): Promise<void>;
}

export type ReferHandler = (refer: IncomingRefer) => void;

/** The final status the far end reported for our REFER (the sipfrag of its last NOTIFY). */
export interface ReferOutcome {
  status: number;
  reason: string;
}

/** A REFER we sent. */
export interface OutgoingRefer {
  /** The far end's answer to the REFER itself: 202 (or 200) when it will try. */
  readonly status: number;
  /**
   * Resolves with the final sipfrag status, or undefined when the subscription or the dialog
   * ended without one (or the far end refused the REFER).
   */
  readonly outcome: Promise<ReferOutcome | undefined>;
}

/**
 * REFER and its NOTIFYs inside one INVITE dialog, both ways: a REFER from the far end goes to the
 * handler (405 without one), a REFER we send collects the far end's NOTIFYs until the final one.
 */
export class DialogTransfer {
  #handler: ReferHandler | undefined;
  #outgoing: { cseq: number | undefined; settle: (o: ReferOutcome | undefined) => void } | undefined;

  constructor(
    private readonly dialog: SrfDialog,
    private readonly log: Logger,
    private readonly warnAgent: string,
    private readonly allow: (referAllowed: boolean) => string,
  ) {}

  setHandler(handler: ReferHandler | undefined): void {
    this.#handler = handler;
  }

  onRefer(req: SrfIncomingRequest, res: SrfServerResponse): void {
    const handler = this.#handler;
    if (handler === undefined) {
      void respond(res, 405, { headers: { Allow: this.allow(false) } }, this.log);
      return;
    }
    const referTo = req.get('Refer-To');
    const target = parseReferTo(referTo);
    if (target === undefined) {
      const why = referTo === undefined ? 'no Refer-To' : 'Refer-To is not one sip:, sips: or tel: URI';
      void respond(res, 400, { headers: { Warning: warningHeader(this.warnAgent, why) } }, this.log);
      return;
    }
    const cseq = cseqNumber(req) ?? 0;
    let answered = false;
    const refer: IncomingRefer = {
      target,
      referredBy: referredByValue(req.get('Referred-By')),
      accept: async () => {
        if (answered) return;
        answered = true;
        await respond(res, 202, {}, this.log);
        await this.#notify(cseq, 100, 'Trying');
      },
      reject: async (status, reason) => {
        if (answered) return;
        answered = true;
        await respond(res, status, { headers: { Warning: warningHeader(this.warnAgent, reason) } }, this.log);
      },
      notify: (status, reason) => this.#notify(cseq, status, reason),
    };
    handler(refer);
  }

  /** A NOTIFY from the far end: progress of the REFER we sent, if it is one. */
  onNotify(req: SrfIncomingRequest, res: SrfServerResponse): void {
    const event = req.get('Event');
    if (!isReferEvent(event)) {
      void respond(res, 489, { headers: { 'Allow-Events': 'refer' } }, this.log);
      return;
    }
    const out = this.#outgoing;
    const id = eventId(event);
    if (out === undefined || (id !== undefined && out.cseq !== undefined && id !== out.cseq)) {
      void respond(res, 481, {}, this.log);
      return;
    }
    void respond(res, 200, {}, this.log);
    const frag = mediaType(req.get('Content-Type')) === 'message/sipfrag' ? parseSipfrag(req.body) : undefined;
    const terminated = /^\s*terminated/i.test(req.get('Subscription-State') ?? '');
    this.log.info({ sipfrag: frag?.status, terminated }, 'transfer progress from the far end');
    if (frag !== undefined && frag.status >= 200) this.#settle(frag);
    else if (terminated) this.#settle(undefined);
  }

  /** Sends REFER to `targetUri`; one at a time. */
  async refer(targetUri: string, referredBy: string | undefined): Promise<OutgoingRefer> {
    if (this.#outgoing !== undefined) throw new Error('a transfer is already under way on this call');
    let settle: (o: ReferOutcome | undefined) => void = () => undefined;
    const outcome = new Promise<ReferOutcome | undefined>((r) => (settle = r));
    const pending = { cseq: undefined as number | undefined, settle };
    this.#outgoing = pending;
    const headers: Record<string, string> = { 'Refer-To': referToHeader(targetUri) };
    if (referredBy !== undefined) headers['Referred-By'] = referredBy;
    const contact = this.dialog.local.contact;
    if (contact !== undefined) headers['Contact'] = contact;
    let status: number;
    try {
      const res = await this.dialog.request({ method: 'REFER', headers });
      status = res.status;
      pending.cseq = cseqNumber(res);
    } catch (err) {
      this.#settle(undefined);
      throw err;
    }
    if (status < 200 || status >= 300) this.#settle(undefined);
    return { status, outcome };
  }

  /** The dialog ended: nothing more will come. */
  close(): void {
    this.#settle(undefined);
  }

  #settle(outcome: ReferOutcome | undefined): void {
    const out = this.#outgoing;
    this.#outgoing = undefined;
    out?.settle(outcome);
  }

  async #notify(referCseq: number, status: number, reason: string): Promise<void> {
    const headers: Record<string, string> = {
      Event: referEvent(referCseq),
      'Subscription-State': subscriptionState(status >= 200),
      'Content-Type': SIPFRAG_TYPE,
    };
    const contact = this.dialog.local.contact;
    if (contact !== undefined) headers['Contact'] = contact;
    try {
      const res = await this.dialog.request({ method: 'NOTIFY', headers, body: sipfragBody(status, reason) });
      if (res.status >= 300) this.log.info({ status: res.status, sipfrag: status }, 'the far end refused our transfer NOTIFY');
    } catch (err) {
      this.log.debug({ err: String(err), sipfrag: status }, 'transfer NOTIFY not sent');
    }
  }
}
