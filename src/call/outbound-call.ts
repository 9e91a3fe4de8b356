import { OutboundCallError } from '../sip/errors.js';
import type { DialOutRequest } from '../sip/sip-app.js';
import type { PendingOutboundCall } from '../sip/outbound.js';
import type { OutboundSipLeg } from '../sip/sip-leg.js';
import type { DialRequest } from '../xmpp/rayo/index.js';
import { CallBase } from './call-base.js';
import type { CallParties } from './call-snapshot.js';
import type { CallDeps } from './call-deps.js';
import { Reasons, setupFailureReason } from './close-reason.js';
import type { CloseReason } from './registry.js';

/** Places a SIP call; SipApp.placeCall in production. */
export type Dialler = (req: DialOutRequest) => PendingOutboundCall;

export interface OutboundCallOptions {
  dial: DialRequest;
  dialler: Dialler;
  ringTimeoutMs: number;
  /** How long the failure reason stays visible in the meeting before the room is left. */
  failureLingerMs?: number;
}

/** How long a teardown waits for the answer to its CANCEL. */
const CANCEL_WAIT_MS = 4000;

/** What the meeting sees under the participant while the phone side progresses. */
const FAILURE_TEXT: Record<string, string> = {
  busy: 'Busy',
  'no-answer': 'No answer',
  declined: 'Declined',
  'not-found': 'Number not found',
  'invalid-number': 'Invalid number',
  cancelled: 'Cancelled',
};

/**
 * A call a moderator placed from the meeting (Rayo dial through the brewery): joins the room
 * first, so the dial IQ can be answered with where the call lives, then rings the number and
 * shows its progress in presence.
 */
export class OutboundCall extends CallBase {
  #pending: PendingOutboundCall | undefined;
  #bridgeUp = false;
  #leg: OutboundSipLeg | undefined;
  /** The far end's final failure response, when the dial failed with one. */
  #failedStatus: number | undefined;
  #joined: Promise<string>;
  #resolveJoined!: (occupantJid: string) => void;
  #rejectJoined!: (err: Error) => void;

  constructor(
    private readonly opts: OutboundCallOptions,
    deps: CallDeps,
  ) {
    super(`dial-${opts.dial.to}`, 'out', deps);
    this.#joined = new Promise((resolve, reject) => {
      this.#resolveJoined = resolve;
      this.#rejectJoined = reject;
    });
    // Whoever awaits joined() handles the rejection; this keeps an unobserved one quiet.
    this.#joined.catch(() => undefined);
  }

  /** The meeting that asked for the call (known before the room is joined). */
  get targetRoom(): string {
    return this.opts.dial.roomJid;
  }

  get number(): string {
    return this.opts.dial.to;
  }

  /** Resolves with our occupant JID once in the room (the dial IQ's `ref`); rejects if we never get in. */
  joined(): Promise<string> {
    return this.#joined;
  }

  async run(): Promise<void> {
    this.deps.registry.add(this);
    try {
      await this.#run();
    } catch (err) {
      this.#rejectJoined(err as Error);
      if (!this.closing) {
        this.log.error({ err }, 'dial-out failed');
        await this.close(setupFailureReason(err));
      }
    }
  }

  async #run(): Promise<void> {
    const { dial } = this.opts;
    const media = await this.createMedia(dial.roomJid);
    this.phaseValue = 'joining';
    const signaling = this.openSignaling(media, {
      roomJid: dial.roomJid,
      ...(dial.roomPassword !== undefined ? { roomPassword: dial.roomPassword } : {}),
      nick: dial.to,
      extraHeaders: dial.headers,
    });
    signaling.conference.on('hangupRequested', ({ from }) => {
      this.log.info({ from }, 'hangup requested by the meeting');
      void this.close(Reasons.hangupRequested);
    });
    const outcome = await signaling.conference.start();
    if (this.closing) {
      this.#rejectJoined(new Error('call closed while joining'));
      return;
    }
    if (outcome.kind !== 'joined') {
      this.#rejectJoined(new Error(`cannot join ${dial.roomJid}: ${outcome.kind}`));
      await this.close(Reasons.joinFailed);
      return;
    }
    this.#resolveJoined(signaling.conference.occupantJid);
    this.awaitSessionInitiate();

    this.phaseValue = 'dialling';
    this.showStatus('Calling');
    const localSdp = await media.offerToCaller();
    if (this.closing) return;
    const pending = this.opts.dialler({
      number: dial.to,
      localSdp,
      headers: { ...dial.headers, 'Jitsi-Conference-Room': dial.roomJid, JigasiCallDirection: 'out' },
      ringTimeoutMs: this.opts.ringTimeoutMs,
      onProvisional: (status) => {
        if (status === 180 || status === 183) this.showStatus('Ringing');
      },
    });
    this.#pending = pending;
    let leg: OutboundSipLeg;
    try {
      leg = await pending;
    } catch (err) {
      await this.#dialFailed(err);
      return;
    }
    this.#leg = leg;
    if (this.closing) {
      await leg.hangup('call ended').catch(() => undefined);
      return;
    }
    leg.on('hungUp', () => void this.close(Reasons.calleeBye));
    leg.on('ended', (cause) => {
      if (cause === 'connection-lost') void this.close(Reasons.sipLost);
    });
    // The callee's BYE may have come in the same read as its 200, before anyone listened.
    if (leg.state === 'ended') {
      await this.close(Reasons.calleeBye);
      return;
    }
    leg.setReinviteHandler(async (offer) => media.answerCaller(offer));
    if (leg.remoteSdp !== undefined) await media.acceptCallerAnswer(leg.remoteSdp);
    this.answeredAt = Date.now();
    this.phaseValue = this.#bridgeUp ? 'connected' : 'waiting-session';
    // For a dial-out, "Connected" means the phone answered (jigasi does the same).
    this.showStatus('Connected');
    this.deps.metrics?.callSetupSeconds.observe({ direction: 'out' }, (Date.now() - this.startedAt) / 1000);
    this.log.info({ setupMs: Date.now() - this.startedAt }, 'callee answered');
  }

  async #dialFailed(err: unknown): Promise<void> {
    if (this.closing) return;
    const failure = err instanceof OutboundCallError ? err : undefined;
    this.#failedStatus = failure?.status;
    const text = failure === undefined ? 'Call failed' : (FAILURE_TEXT[failure.reason] ?? `Call failed (${failure.status} ${failure.detail})`);
    this.log.info({ err }, 'dial-out not answered');
    this.showStatus(text);
    const reason: CloseReason =
      failure?.reason === 'busy'
        ? Reasons.calleeBusy
        : failure?.reason === 'no-answer'
          ? Reasons.calleeNoAnswer
          : failure?.reason === 'declined'
            ? Reasons.calleeDeclined
            : Reasons.dialFailed;
    // Leave the failure on screen for a moment so the moderator sees why, then leave the room.
    this.phaseValue = 'closing';
    this.timers.set('failure-linger', this.opts.failureLingerMs ?? 5000, () => void this.close(reason));
  }

  protected async bridgeConnected(resumed: boolean): Promise<void> {
    this.#bridgeUp = true;
    if (this.#leg !== undefined && this.#leg.state === 'answered') this.phaseValue = 'connected';
    this.log.info({ resumed }, 'bridge media connected');
  }

  protected get sipLeg(): OutboundSipLeg | undefined {
    return this.#leg;
  }

  protected get parties(): CallParties {
    const to = this.opts.dial.to;
    return { shownAs: to, phoneNumber: to, calledNumber: to, sipCallId: this.#leg?.callId ?? null };
  }

  protected finalSipStatus(): number | undefined {
    return this.answeredAt !== undefined ? 200 : this.#failedStatus;
  }

  protected async endSip(reason: CloseReason): Promise<void> {
    if (this.#leg !== undefined) {
      if (this.#leg.state !== 'ended') await this.#leg.hangup(reason.cause);
      return;
    }
    // Still ringing: CANCEL, and wait (bounded) for the INVITE's final answer so the dialog is gone
    // before the room is left; a far end that never answers must not hold the teardown.
    const pending = this.#pending;
    if (pending === undefined) return;
    pending.cancel(reason.cause);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      pending.then(
        (leg) => leg.hangup(reason.cause),
        () => undefined,
      ),
      new Promise<void>((r) => {
        timer = setTimeout(r, CANCEL_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }
}
