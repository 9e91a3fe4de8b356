import type { Logger } from '../log.js';
import type { TypedEmitter } from '../util/typed-emitter.js';
import { SipRequestError } from './errors.js';
import { DialogTransfer, type OutgoingRefer, type ReferHandler } from './dialog-transfer.js';
import { lostDialogOf, type LostDialog } from './lost-dialogs.js';
import { cseqNumber } from './registration-messages.js';
import { parseDtmfBody, parseDtmfRelay, parseJsonInfo } from './info-payloads.js';
import { respond } from './respond.js';
import type { ReinviteHandler, SipLegEvents } from './sip-leg.js';
import { mediaType, q850Reason, reasonText, warningHeader } from './sip-headers.js';
import type { SrfDialog, SrfIncomingRequest, SrfSendOptions, SrfServerResponse } from './srf-types.js';

export const ALLOWED_METHODS = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REFER, NOTIFY';
/** What a dialog whose call takes no transfer allows (a REFER there gets 405). */
const ALLOWED_WITHOUT_REFER = 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, NOTIFY';
export const ACCEPTED_TYPES = 'application/sdp, application/dtmf-relay, application/dtmf, application/json';

export interface DialogSessionOptions {
  dialog: SrfDialog;
  localSdp: string;
  remoteSdp: string | undefined;
  /** The leg's emitter: the session emits reinvite, remoteAnswer, dtmf and jsonInfo on it. */
  events: TypedEmitter<SipLegEvents>;
  log: Logger;
  /** warn-agent for Warning headers (our host or a pseudonym). */
  warnAgent: string;
  /** The far end sent BYE; the leg turns this into its own state change and events. */
  onRemoteBye: (reason: string) => void;
  /** How long a BYE we send may stay unanswered before hangup gives up waiting, ms. */
  byeTimeoutMs?: number;
  /** True for a dialog we answered (UAS): its first ACK confirms our 200. */
  expectsInitialAck: boolean;
}

function sipStatusOf(err: unknown): number | undefined {
  const s = err !== null && typeof err === 'object' ? (err as { sipStatus?: unknown }).sipStatus : undefined;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Everything that happens inside an established INVITE dialog, for either direction: offers in
 * re-INVITE/UPDATE answered through the reinvite handler, INFO (DTMF, JSON), the far end's BYE,
 * ACKs carrying an SDP answer, and the requests we send (BYE, INFO).
 */
export class DialogSession {
  localSdp: string;
  remoteSdp: string | undefined;
  readonly #opts: DialogSessionOptions;
  readonly #dialog: SrfDialog;
  readonly #log: Logger;
  #handler: ReinviteHandler | undefined;
  /** An offer from the far end is being answered (a second one meanwhile is glare: 491). */
  #answeringOffer = false;
  /** We put our SDP as an offer in a 200; the ACK must carry the answer. */
  #awaitingAckAnswer = false;
  #ackWaiter: { resolve: (body: string | undefined) => void; reject: (err: Error) => void } | undefined;
  #acked = false;
  #firstAckBody: string | undefined;
  #remoteGone = false;
  /** The highest CSeq of the requests we sent in the dialog (a rebuilt BYE must go above it). */
  #lastLocalCseq: number | undefined;
  readonly #transfer: DialogTransfer;

  constructor(opts: DialogSessionOptions) {
    this.#opts = opts;
    this.#dialog = opts.dialog;
    this.#log = opts.log;
    this.localSdp = opts.localSdp;
    this.remoteSdp = opts.remoteSdp;
    // In a dialog we created (UAC) srf sent the ACK; any ACK we receive answers a later 200 of ours.
    this.#acked = !opts.expectsInitialAck;
    const d = opts.dialog;
    d.on('destroy', (req) => this.#onBye(req));
    d.on('modify', (req, res) => void this.#answerOffer('INVITE', req, res));
    d.on('update', (req, res) => void this.#onUpdate(req, res));
    d.on('info', (req, res) => void this.#onInfo(req, res));
    d.on('ack', (req) => this.#onAck(req));
    // srf would accept a REFER with 200 by default: the call layer decides (405 without a handler).
    this.#transfer = new DialogTransfer(d, this.#log, opts.warnAgent, (refer) => (refer ? ALLOWED_METHODS : ALLOWED_WITHOUT_REFER));
    d.on('refer', (req, res) => this.#transfer.onRefer(req, res));
    d.on('notify', (req, res) => this.#transfer.onNotify(req, res));
    if (!d.connected) this.#onGoneBeforeListening();
  }

  get dialog(): SrfDialog {
    return this.#dialog;
  }

  setReinviteHandler(handler: ReinviteHandler | undefined): void {
    this.#handler = handler;
  }

  setReferHandler(handler: ReferHandler | undefined): void {
    this.#transfer.setHandler(handler);
  }

  /** Sends REFER (blind transfer of the far end to `targetUri`); see DialogTransfer.refer. */
  refer(targetUri: string, referredBy: string | undefined): Promise<OutgoingRefer> {
    if (this.#remoteGone) return Promise.reject(new SipRequestError('REFER', undefined, 'the call has ended'));
    return this.#transfer.refer(targetUri, referredBy);
  }

  /**
   * Resolves with the body of the ACK to our 200 (undefined when it had none), or rejects after
   * `timeoutMs` or when a BYE arrives first.
   */
  waitForAck(timeoutMs: number): Promise<string | undefined> {
    if (this.#acked) return Promise.resolve(this.#firstAckBody);
    if (this.#remoteGone) return Promise.reject(new Error('dialog ended before the ACK'));
    return new Promise<string | undefined>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#ackWaiter = undefined;
        reject(new Error(`no ACK within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#ackWaiter = {
        resolve: (body) => {
          clearTimeout(timer);
          resolve(body);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  /** Sends BYE with a Reason; resolves when it was answered, failed, or after the BYE timeout. */
  async bye(reason: string): Promise<void> {
    this.#failAckWait(new Error('we hung up'));
    if (this.#remoteGone) return;
    this.#remoteGone = true;
    this.#transfer.close();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#opts.byeTimeoutMs ?? 5000);
    });
    const sent = this.#dialog.destroy({ headers: { Reason: q850Reason(reason) } }).then(
      () => undefined,
      (err: unknown) => this.#log.debug({ err: String(err) }, 'BYE not sent (dialog already gone)'),
    );
    await Promise.race([sent, timeout]);
    clearTimeout(timer);
  }

  /**
   * The drachtio connection carrying the dialog is gone: nothing can be sent, but srf still
   * tracks the dialog. destroy() on a dead socket fails at once and makes srf forget it.
   * Returns what it takes to send the far end a BYE later, unless it had already hung up.
   */
  abandon(): LostDialog | undefined {
    this.#failAckWait(new Error('drachtio connection lost'));
    if (this.#remoteGone) return undefined;
    this.#remoteGone = true;
    this.#transfer.close();
    const lost = lostDialogOf(this.#dialog, this.#lastLocalCseq);
    this.#dialog.destroy().catch(() => undefined);
    return lost;
  }

  #noteLocalCseq(n: number | undefined): void {
    if (n !== undefined && n > (this.#lastLocalCseq ?? 0)) this.#lastLocalCseq = n;
  }

  /** Sends an INFO; rejects with SipRequestError unless the far end answered 2xx. */
  async sendInfo(contentType: string, body: string): Promise<void> {
    let status: number;
    try {
      const res = await this.#dialog.request({ method: 'INFO', headers: { 'Content-Type': contentType }, body });
      status = res.status;
      this.#noteLocalCseq(cseqNumber(res));
    } catch (err) {
      throw new SipRequestError('INFO', undefined, `INFO could not be sent: ${String(err instanceof Error ? err.message : err)}`);
    }
    if (status < 200 || status >= 300) throw new SipRequestError('INFO', status, `INFO refused with ${status}`);
  }

  #onBye(req: SrfIncomingRequest): void {
    this.#remoteGone = true;
    this.#transfer.close();
    this.#failAckWait(new Error('the far end hung up before the ACK'));
    this.#opts.onRemoteBye(reasonText(req.get('Reason')) ?? 'far end hung up');
  }

  /**
   * srf processes every message of one socket read synchronously: when the far end's BYE came in
   * the same read as the message that created the dialog (the 200's confirmation, or the 200 of
   * our INVITE), srf answered it and emitted 'destroy' before anyone could listen. Without this,
   * the call would hold its slot and its meeting seat with nobody on the line.
   */
  #onGoneBeforeListening(): void {
    this.#log.info('the far end hung up before the dialog was handed over');
    this.#remoteGone = true;
    this.#opts.onRemoteBye('far end hung up at the answer');
  }

  #onAck(req: SrfIncomingRequest): void {
    const body = req.body !== undefined && req.body.trim() !== '' ? req.body : undefined;
    if (!this.#acked) {
      this.#acked = true;
      this.#firstAckBody = body;
      const waiter = this.#ackWaiter;
      this.#ackWaiter = undefined;
      waiter?.resolve(body);
      return;
    }
    if (this.#awaitingAckAnswer && body !== undefined) {
      this.#awaitingAckAnswer = false;
      this.remoteSdp = body;
      this.#opts.events.emit('remoteAnswer', body);
    }
  }

  #failAckWait(err: Error): void {
    const waiter = this.#ackWaiter;
    this.#ackWaiter = undefined;
    waiter?.reject(err);
  }

  async #onUpdate(req: SrfIncomingRequest, res: SrfServerResponse): Promise<void> {
    // An UPDATE without SDP is a session-timer refresh: nothing to negotiate.
    if ((req.body ?? '').trim() === '') {
      await respond(res, 200, {}, this.#log);
      return;
    }
    await this.#answerOffer('UPDATE', req, res);
  }

  async #answerOffer(method: 'INVITE' | 'UPDATE', req: SrfIncomingRequest, res: SrfServerResponse): Promise<void> {
    const offer = req.body ?? '';
    const contact = this.#dialog.local.contact;
    const sdpHeaders: Record<string, string> = { 'Content-Type': 'application/sdp', ...(contact ? { Contact: contact } : {}) };
    if (this.#answeringOffer) {
      // RFC 3261 14.2 / RFC 3311: an offer while ours is being answered is glare.
      await respond(res, 491, {}, this.#log);
      return;
    }
    if (offer.trim() === '') {
      // Offerless re-INVITE: we offer our current SDP and the ACK brings the answer.
      this.#awaitingAckAnswer = true;
      await respond(res, 200, { headers: sdpHeaders, body: this.localSdp }, this.#log);
      return;
    }
    this.#answeringOffer = true;
    this.#opts.events.emit('reinvite', offer);
    let status = 200;
    let reply: SrfSendOptions;
    try {
      const answer = this.#handler === undefined ? this.localSdp : await this.#handler(offer);
      this.remoteSdp = offer;
      this.localSdp = answer;
      reply = { headers: sdpHeaders, body: answer };
    } catch (err) {
      status = sipStatusOf(err) ?? 500;
      const why = err instanceof Error ? err.message : String(err);
      this.#log.info({ status, why, method }, 'refused an offer inside the dialog');
      const headers: Record<string, string> = { Warning: warningHeader(this.#opts.warnAgent, why) };
      if (status === 500) headers['Retry-After'] = '1';
      reply = { headers };
    } finally {
      // The exchange ends once our response is decided, not when drachtio-server confirms sending
      // it: the phone may read it and send its next offer (unhold right after hold) before that.
      this.#answeringOffer = false;
    }
    await respond(res, status, reply, this.#log);
  }

  async #onInfo(req: SrfIncomingRequest, res: SrfServerResponse): Promise<void> {
    const type = mediaType(req.get('Content-Type'));
    const body = req.body ?? '';
    const events = this.#opts.events;
    if (body.trim() === '') {
      // An empty INFO is a keep-alive some PBXs send.
      await respond(res, 200, {}, this.#log);
      return;
    }
    if (type === 'application/dtmf-relay' || type === 'application/dtmf') {
      const dtmf = type === 'application/dtmf' ? parseDtmfBody(body) : parseDtmfRelay(body);
      if (dtmf === undefined) {
        await respond(res, 400, { headers: { Warning: warningHeader(this.#opts.warnAgent, 'unreadable DTMF') } }, this.#log);
        return;
      }
      void respond(res, 200, {}, this.#log);
      events.emit('dtmf', dtmf);
      return;
    }
    if (type === 'application/json') {
      const parsed = parseJsonInfo(body);
      if (!parsed.ok) {
        await respond(res, 400, { headers: { Warning: warningHeader(this.#opts.warnAgent, parsed.error) } }, this.#log);
        return;
      }
      void respond(res, 200, {}, this.#log);
      if (parsed.message !== undefined) events.emit('jsonInfo', parsed.message);
      // Only the keys: an IVR's JSON may carry a room password (`d.pwd`).
      else this.#log.debug({ keys: jsonKeys(body) }, 'JSON INFO of an unknown shape');
      return;
    }
    await respond(res, 415, { headers: { Accept: ACCEPTED_TYPES } }, this.#log);
  }
}

/** The top-level keys of a JSON object body, for logs that must not show its values. */
function jsonKeys(body: string): string[] {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v).slice(0, 20) : [];
  } catch {
    return [];
  }
}
