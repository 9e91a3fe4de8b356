import { randomInt } from 'node:crypto';
import { LegEndedError, SipLegStateError } from './errors.js';
import { LegBase, type LegContext } from './leg-base.js';
import { respond } from './respond.js';
import type { InboundSipLeg, SipLegState } from './sip-leg.js';
import { sipReason } from './sip-headers.js';
import type { SrfApi, SrfIncomingRequest, SrfServerResponse } from './srf-types.js';

export interface InboundLegOptions extends LegContext {
  srf: SrfApi;
  req: SrfIncomingRequest;
  res: SrfServerResponse;
  callId: string;
  /** The caller's SDP offer; undefined for a late-offer INVITE. */
  offer: string | undefined;
  /** Counts the final response to the INVITE (200, our rejection, or the stack's 487 after CANCEL). */
  countResponse: (status: number) => void;
  /** How long to wait for the ACK to our 200 before giving up with a BYE (RFC 3261 timer H: 32 s). */
  ackTimeoutMs?: number;
}

type Phase = 'ringing' | 'answering' | 'answered' | 'ended';

/**
 * An inbound call on drachtio: built by SipApp's INVITE handler from the admitted request and
 * response. 'answering' (200 sent, ACK pending) is reported as 'ringing': media may not flow and
 * RFC 3261 forbids our BYE until the ACK, so for the call layer the call is not answered yet.
 */
export class DrachtioInboundLeg extends LegBase implements InboundSipLeg {
  readonly direction = 'in' as const;
  readonly lateOffer: boolean;
  readonly #opts: InboundLegOptions;
  #phase: Phase = 'ringing';
  #ringingSent = false;
  #remoteSdp: string | undefined;
  #answering: Promise<void> | undefined;
  #hangup: Promise<void> | undefined;
  readonly #onCancel = (): void => this.#cancelled();
  /**
   * An UPDATE before our answer. With an offer it cannot be taken while the INVITE's own offer
   * is unanswered: RFC 3311 §5.2 wants 500 with a random Retry-After of up to 10 s. Without one
   * it is a refresh or keep-alive and gets 200.
   */
  readonly #onEarlyUpdate = (update: SrfIncomingRequest, res: SrfServerResponse): void => {
    const hasOffer = (update.body ?? '').trim() !== '';
    this.log.info({ hasOffer }, 'UPDATE before the answer');
    if (hasOffer) void respond(res, 500, { headers: { 'Retry-After': String(randomInt(0, 11)) } }, this.log);
    else void respond(res, 200, {}, this.log);
  };

  constructor(opts: InboundLegOptions) {
    super(opts.callId, opts);
    this.#opts = opts;
    this.#remoteSdp = opts.offer;
    this.lateOffer = opts.offer === undefined;
    opts.req.on('cancel', this.#onCancel);
    opts.req.on('update', this.#onEarlyUpdate);
  }

  get state(): SipLegState {
    if (this.#phase === 'answered') return 'answered';
    return this.#phase === 'ended' ? 'ended' : 'ringing';
  }

  get remoteSdp(): string | undefined {
    return this.session?.remoteSdp ?? this.#remoteSdp;
  }

  ringing(): void {
    if (this.#phase !== 'ringing' || this.#ringingSent) return;
    this.#ringingSent = true;
    // A 180 with a To tag starts an early dialog, so it carries a Contact (RFC 3261 §12.1.1).
    void respond(this.#opts.res, 180, { headers: { Contact: dialogContact(this.#opts.req) } }, this.log);
  }

  answer(localSdp: string): Promise<void> {
    if (this.#phase !== 'ringing') {
      const cause = this.endCause;
      return Promise.reject(cause !== undefined ? new LegEndedError(cause) : new SipLegStateError(`cannot answer: call is ${this.#phase}`));
    }
    this.#phase = 'answering';
    this.#answering = this.#answer(localSdp);
    return this.#answering;
  }

  async reject(status: number, reason?: string): Promise<void> {
    if (this.#phase === 'ended') return;
    if (this.#phase !== 'ringing') throw new SipLegStateError('cannot reject an answered call; use hangup()');
    if (!Number.isInteger(status) || status < 300 || status > 699) throw new RangeError(`not a failure status: ${status}`);
    const why = reason ?? 'rejected';
    this.#phase = 'ended';
    this.#opts.req.removeListener('cancel', this.#onCancel);
    this.#opts.req.removeListener('update', this.#onEarlyUpdate);
    const sent = respond(this.#opts.res, status, { headers: { Reason: sipReason(status, why) } }, this.log);
    this.#opts.countResponse(status);
    this.end('rejected', `${status} ${why}`);
    await sent;
  }

  hangup(reason = 'normal clearing', unansweredStatus = 480): Promise<void> {
    this.#hangup ??= this.#doHangup(reason, unansweredStatus);
    return this.#hangup;
  }

  protected markEnded(): void {
    this.#phase = 'ended';
    this.#opts.req.removeListener('cancel', this.#onCancel);
    this.#opts.req.removeListener('update', this.#onEarlyUpdate);
  }

  protected onRemoteBye(reason: string): void {
    if (this.#phase === 'ended') return;
    this.markEnded();
    this.emit('hungUp', reason);
    this.end('remote-bye', reason);
  }

  async #doHangup(reason: string, unansweredStatus: number): Promise<void> {
    if (this.#phase === 'ringing') {
      await this.reject(unansweredStatus, reason);
      return;
    }
    if (this.#phase === 'answering') {
      // RFC 3261 15: no BYE before the ACK to our 200 (or its timeout, which ends the leg itself).
      await this.#answering?.catch(() => undefined);
    }
    if (this.#phase !== 'answered') return;
    this.markEnded();
    this.end('local-hangup', reason);
    await this.session?.bye(reason);
  }

  async #answer(localSdp: string): Promise<void> {
    const { srf, req, res } = this.#opts;
    let dialog;
    try {
      // Over UDP drachtio-server's own Contact is right; over TLS it would be its sips: listener
      // address, which a phone that called a sip: URI need not (and libre-based ones cannot) use.
      const headers: Record<string, string> = { 'Content-Type': 'application/sdp' };
      if (req.protocol.toLowerCase() !== 'udp') headers['Contact'] = dialogContact(req);
      dialog = await srf.createUAS(req, res, { localSdp, headers });
    } catch (err) {
      // A CANCEL that won the race already ended the leg (and srf rejects with 487).
      if (this.#phase === 'ended') throw new LegEndedError(this.endCause ?? 'cancelled');
      const detail = err instanceof Error ? err.message : String(err);
      this.markEnded();
      this.end('answer-failed', detail);
      throw new LegEndedError('answer-failed', detail);
    }
    this.#opts.req.removeListener('cancel', this.#onCancel);
    this.#opts.req.removeListener('update', this.#onEarlyUpdate);
    this.#opts.countResponse(200);
    const session = this.attach(dialog, localSdp, this.#remoteSdp);
    let ackBody: string | undefined;
    try {
      ackBody = await session.waitForAck(this.#opts.ackTimeoutMs ?? 32_000);
    } catch (err) {
      // A BYE before the ACK already ended the leg through onRemoteBye.
      if (this.#phase === 'ended') throw new LegEndedError(this.endCause ?? 'remote-bye');
      return this.#abandonAnswer('ack-timeout', err instanceof Error ? err.message : String(err));
    }
    if (this.lateOffer) {
      // Our 200 carried the offer: the ACK must carry the caller's answer.
      if (ackBody === undefined) return this.#abandonAnswer('answer-failed', 'the ACK carried no SDP answer to our offer');
      session.remoteSdp = ackBody;
      this.emit('remoteAnswer', ackBody);
    }
    if (this.#phase !== 'answering') throw new LegEndedError(this.endCause ?? 'local-hangup');
    this.#phase = 'answered';
  }

  #abandonAnswer(cause: 'ack-timeout' | 'answer-failed', detail: string): never {
    this.markEnded();
    this.end(cause, detail);
    // answer() reports the failure now; the BYE completes on its own.
    void this.session?.bye(detail);
    throw new LegEndedError(cause, detail);
  }

  #cancelled(): void {
    if (this.#phase !== 'ringing' && this.#phase !== 'answering') return;
    this.markEnded();
    this.#opts.countResponse(487);
    this.emit('cancelled');
    this.end('cancelled', 'caller cancelled');
  }
}

/**
 * Our Contact in a dialog the phone starts: drachtio-server puts its own address where the host
 * says localhost, but not the transport, so a phone that called over TLS (or TCP) is told here to
 * come back the same way; one that called a sips: URI gets a sips: Contact (RFC 3261 §12.1.1).
 */
function dialogContact(req: SrfIncomingRequest): string {
  if (/^sips:/i.test(req.uri)) return '<sips:gateway@localhost>';
  const protocol = req.protocol.toLowerCase();
  return `<sip:gateway@localhost${protocol === 'tls' || protocol === 'tcp' ? `;transport=${protocol}` : ''}>`;
}
