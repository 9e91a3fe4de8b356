import type { Logger } from '../log.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { DialogSession } from './dialog-session.js';
import type { OutgoingRefer, ReferHandler } from './dialog-transfer.js';
import { SipLegStateError, type LegEndCause } from './errors.js';
import type { LostDialog } from './lost-dialogs.js';
import { dtmfRelayBody, jsonInfoBody, type DtmfDigit, type JsonInfoMessage } from './info-payloads.js';
import type { ReinviteHandler, SipLegEvents } from './sip-leg.js';
import type { SrfDialog } from './srf-types.js';

export interface LegContext {
  log: Logger;
  /** warn-agent for Warning headers. */
  warnAgent: string;
  byeTimeoutMs?: number;
}

/**
 * What inbound and outbound legs share once a dialog exists: the dialog session, the reinvite
 * handler (which may be set before the dialog exists), INFO sending, and the single 'ended'.
 */
export abstract class LegBase extends TypedEmitter<SipLegEvents> {
  protected session: DialogSession | undefined;
  protected readonly log: Logger;
  readonly #ctx: LegContext;
  #handler: ReinviteHandler | undefined;
  #referHandler: ReferHandler | undefined;
  #endCause: LegEndCause | undefined;

  protected constructor(
    readonly callId: string,
    ctx: LegContext,
  ) {
    super();
    this.#ctx = ctx;
    this.log = ctx.log;
    this.onListenerError((event, err) => this.log.error({ err, event }, 'SIP leg listener threw'));
  }

  /** Why the leg ended, once it has. */
  get endCause(): LegEndCause | undefined {
    return this.#endCause;
  }

  get dialogGone(): boolean {
    return this.#endCause === undefined && this.session !== undefined && !this.session.dialog.connected;
  }

  get localSdp(): string | undefined {
    return this.session?.localSdp;
  }

  setReinviteHandler(handler: ReinviteHandler | undefined): void {
    this.#handler = handler;
    this.session?.setReinviteHandler(handler);
  }

  setReferHandler(handler: ReferHandler | undefined): void {
    this.#referHandler = handler;
    this.session?.setReferHandler(handler);
  }

  refer(targetUri: string, referredBy?: string): Promise<OutgoingRefer> {
    try {
      return this.#liveSession('send REFER').refer(targetUri, referredBy);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async sendJsonInfo(message: JsonInfoMessage): Promise<void> {
    return this.#liveSession('send INFO').sendInfo('application/json', jsonInfoBody(message));
  }

  async sendDtmfInfo(digit: DtmfDigit, durationMs?: number): Promise<void> {
    return this.#liveSession('send INFO').sendInfo('application/dtmf-relay', dtmfRelayBody(digit, durationMs));
  }

  /**
   * The drachtio connection is gone and with it every dialog it carried: the leg ends without
   * signalling (nothing can reach the far end now), reported as hungUp so the call tears down.
   * An established dialog is returned so that its BYE can go out once drachtio is back.
   */
  connectionLost(): LostDialog | undefined {
    if (this.#endCause !== undefined) return undefined;
    this.markEnded();
    const lost = this.session?.abandon();
    this.emit('hungUp', 'drachtio connection lost');
    this.end('connection-lost', 'drachtio connection lost');
    return lost;
  }

  /** Subclasses move their own state to ended here (before events are emitted). */
  protected abstract markEnded(): void;

  /** The far end sent BYE. */
  protected abstract onRemoteBye(reason: string): void;

  protected attach(dialog: SrfDialog, localSdp: string, remoteSdp: string | undefined): DialogSession {
    const session = new DialogSession({
      dialog,
      expectsInitialAck: dialog.type === 'uas',
      localSdp,
      remoteSdp,
      events: this,
      log: this.log,
      warnAgent: this.#ctx.warnAgent,
      onRemoteBye: (reason) => this.onRemoteBye(reason),
      ...(this.#ctx.byeTimeoutMs !== undefined ? { byeTimeoutMs: this.#ctx.byeTimeoutMs } : {}),
    });
    session.setReinviteHandler(this.#handler);
    session.setReferHandler(this.#referHandler);
    this.session = session;
    return session;
  }

  /** Records the end and emits 'ended' once; false when the leg had already ended. */
  protected end(cause: LegEndCause, detail: string): boolean {
    if (this.#endCause !== undefined) return false;
    this.#endCause = cause;
    this.log.info({ cause, detail }, 'SIP leg ended');
    this.emit('ended', cause, detail);
    return true;
  }

  #liveSession(what: string): DialogSession {
    if (this.session === undefined || this.#endCause !== undefined) {
      throw new SipLegStateError(`cannot ${what}: ${this.#endCause === undefined ? 'the call is not answered yet' : 'the call has ended'}`);
    }
    return this.session;
  }
}
