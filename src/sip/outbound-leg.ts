import { LegBase, type LegContext } from './leg-base.js';
import type { OutboundSipLeg, SipLegState } from './sip-leg.js';
import type { SrfDialog } from './srf-types.js';

/**
 * A dial-out call once the far end answered (placeCall() resolves with it). It is 'answered'
 * from birth: the ringing phase belongs to placeCall(), which owns the INVITE transaction.
 */
export class DrachtioOutboundLeg extends LegBase implements OutboundSipLeg {
  readonly direction = 'out' as const;
  #ended = false;
  #hangup: Promise<void> | undefined;

  constructor(dialog: SrfDialog, localSdp: string, ctx: LegContext) {
    super(dialog.sip.callId, ctx);
    this.attach(dialog, localSdp, dialog.remote.sdp);
  }

  get state(): SipLegState {
    return this.#ended ? 'ended' : 'answered';
  }

  get remoteSdp(): string | undefined {
    return this.session?.remoteSdp;
  }

  hangup(reason = 'normal clearing'): Promise<void> {
    this.#hangup ??= this.#doHangup(reason);
    return this.#hangup;
  }

  protected markEnded(): void {
    this.#ended = true;
  }

  protected onRemoteBye(reason: string): void {
    if (this.#ended) return;
    this.markEnded();
    this.emit('hungUp', reason);
    this.end('remote-bye', reason);
  }

  async #doHangup(reason: string): Promise<void> {
    if (this.#ended) return;
    this.markEnded();
    this.end('local-hangup', reason);
    await this.session?.bye(reason);
  }
}
