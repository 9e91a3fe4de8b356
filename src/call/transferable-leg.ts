import type { OutgoingRefer, ReferHandler } from '../sip/dialog-transfer.js';
import type { DtmfDigit, JsonInfoMessage } from '../sip/info-payloads.js';
import type { InboundSipLeg, ReinviteHandler, SipLeg, SipLegEvents, SipLegState } from '../sip/sip-leg.js';
import { TypedEmitter } from '../util/typed-emitter.js';

const FORWARDED = ['cancelled', 'hungUp', 'reinvite', 'remoteAnswer', 'dtmf', 'jsonInfo', 'ended'] as const satisfies ReadonlyArray<keyof SipLegEvents>;

/**
 * The phone side of an inbound call, whose SIP leg a transfer can replace: the call, its meeting
 * control and the registry keep this one object while the dialog behind it changes. Events of the
 * current leg are passed on; a replaced leg's are not, so ending it does not end the call.
 * Until a transfer it is the caller's own inbound leg (answer, reject and ringing act on that one).
 */
export class TransferableLeg extends TypedEmitter<SipLegEvents> implements InboundSipLeg {
  readonly direction = 'in' as const;
  #current: SipLeg;
  #reinvite: ReinviteHandler | undefined;
  #refer: ReferHandler | undefined;
  readonly #forwarders = new Map<string, (...args: unknown[]) => void>();

  constructor(private readonly original: InboundSipLeg) {
    super();
    this.#current = original;
    this.#attach(original);
  }

  /** True once a transfer moved the call to another dialog. */
  get transferred(): boolean {
    return this.#current !== this.original;
  }

  get callId(): string {
    return this.#current.callId;
  }
  get state(): SipLegState {
    return this.#current.state;
  }
  get remoteSdp(): string | undefined {
    return this.#current.remoteSdp;
  }
  get localSdp(): string | undefined {
    return this.#current.localSdp;
  }
  get dialogGone(): boolean {
    return this.#current.dialogGone;
  }
  get lateOffer(): boolean {
    return this.original.lateOffer;
  }

  /**
   * Puts `next` in the place of the current leg (handlers move with it) and returns the leg it
   * replaced, for the caller to end: nothing that leg does from now on reaches the call.
   */
  replace(next: SipLeg): SipLeg {
    const old = this.#current;
    this.#detach(old);
    old.setReinviteHandler(undefined);
    old.setReferHandler(undefined);
    this.#current = next;
    next.setReinviteHandler(this.#reinvite);
    next.setReferHandler(this.#refer);
    this.#attach(next);
    return old;
  }

  ringing(): void {
    this.original.ringing();
  }
  answer(localSdp: string): Promise<void> {
    return this.original.answer(localSdp);
  }
  reject(status: number, reason?: string): Promise<void> {
    return this.original.reject(status, reason);
  }
  hangup(reason?: string, unansweredStatus?: number): Promise<void> {
    return this.#current === this.original ? this.original.hangup(reason, unansweredStatus) : this.#current.hangup(reason);
  }
  setReinviteHandler(handler: ReinviteHandler | undefined): void {
    this.#reinvite = handler;
    this.#current.setReinviteHandler(handler);
  }
  setReferHandler(handler: ReferHandler | undefined): void {
    this.#refer = handler;
    this.#current.setReferHandler(handler);
  }
  refer(targetUri: string, referredBy?: string): Promise<OutgoingRefer> {
    return this.#current.refer(targetUri, referredBy);
  }
  sendJsonInfo(message: JsonInfoMessage): Promise<void> {
    return this.#current.sendJsonInfo(message);
  }
  sendDtmfInfo(digit: DtmfDigit, durationMs?: number): Promise<void> {
    return this.#current.sendDtmfInfo(digit, durationMs);
  }

  #attach(leg: SipLeg): void {
    for (const event of FORWARDED) {
      const f = (...args: unknown[]): void => void this.emit(event, ...(args as SipLegEvents[typeof event]));
      this.#forwarders.set(event, f);
      leg.on(event, f as never);
    }
  }

  #detach(leg: SipLeg): void {
    for (const event of FORWARDED) {
      const f = this.#forwarders.get(event);
      if (f !== undefined) leg.off(event, f as never);
    }
    this.#forwarders.clear();
  }
}
