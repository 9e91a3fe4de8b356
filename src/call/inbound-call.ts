import type { CallMedia } from '../media/call-media.js';
import { SdpNegotiationError } from '../media/caller/sdp-negotiation.js';
import { JigasiInfoType } from '../sip/info-payloads.js';
import { DEFAULT_PIN_PROMPT, runPinPrompt, type CallerInteraction, type PromptName } from '../sip/pin/pin-prompt.js';
import type { InboundCallMeta, InboundRoute, InboundSipLeg } from '../sip/sip-leg.js';
import type { JoinOutcome } from '../xmpp/conference/index.js';
import { CallBase } from './call-base.js';
import type { CallParties } from './call-snapshot.js';
import type { CallDeps } from './call-deps.js';
import { Reasons, setupFailureReason } from './close-reason.js';
import { MeetingControl } from './meeting-control.js';
import { NOISE_SUPPRESSION_HEADER, noiseSuppressionWanted } from './media-preferences.js';
import { referOut, type OperatorTransferable, type OperatorTransferResult } from './operator-transfer.js';
import { PhoneTransfer, type TransferredParty } from './phone-transfer.js';
import { TransferableLeg } from './transferable-leg.js';
import type { CloseReason } from './registry.js';

export type { CallPhase } from './call-base.js';

/**
 * A phone caller dialling in: routed to a room (or asked for a PIN), put into the meeting as a
 * participant named after them, answered when the bridge side is up (design.md "Anatomy of one
 * inbound call").
 */
export class InboundCall extends CallBase implements OperatorTransferable {
  #callerSdp: string | undefined;
  /** The phone side; a transfer can put another dialog behind it. */
  private readonly leg: TransferableLeg;
  /** Who the meeting sees once a transfer replaced the caller. */
  #transferredTo: TransferredParty | undefined;

  constructor(
    leg: InboundSipLeg,
    private readonly route: InboundRoute,
    private readonly meta: InboundCallMeta,
    deps: CallDeps,
  ) {
    super(meta.callId, 'in', deps);
    this.leg = new TransferableLeg(leg);
    this.log = this.log.child({ sipCallId: meta.callId });
  }

  /** The caller as the meeting sees them. */
  get displayName(): string {
    return this.#transferredTo?.displayName ?? this.meta.from.displayName ?? this.meta.from.user ?? 'Phone';
  }

  /** POST /calls/{id}/transfer: REFER the phone's side elsewhere; it leaves the meeting when that succeeds. */
  transferOut(targetUri: string, waitMs: number): Promise<OperatorTransferResult> {
    if (this.closing || this.phaseValue !== 'connected') return Promise.resolve({ kind: 'not-possible', reason: `the call is ${this.phaseValue}` });
    return referOut(this.leg, targetUri, waitMs, this.log, () => void this.close(Reasons.transferred));
  }

  /** REFER from the phone's side: the meeting participant moves to the Refer-To target. */
  #acceptTransfers(media: CallMedia): void {
    const t = this.deps.transfer;
    if (t === undefined) return;
    const transfer = new PhoneTransfer({
      ...t,
      leg: this.leg,
      media,
      log: this.log,
      ready: () => !this.closing && this.phaseValue === 'connected',
      fromDisplayName: this.room?.split('@')[0],
      transferred: (party) => {
        this.#transferredTo = party;
        this.signaling?.conference.setDisplayName(party.displayName).catch((err: unknown) => this.log.debug({ err }, 'new name not published'));
      },
      failed: (err) => {
        this.log.warn({ err }, 'the transfer target could not take the media');
        void this.close(Reasons.internal);
      },
    });
    this.leg.setReferHandler(transfer.handle);
  }

  /** Runs the whole call; never throws (every failure ends in close()). */
  async run(): Promise<void> {
    this.deps.registry.add(this);
    try {
      await this.#run();
    } catch (err) {
      if (!this.closing) {
        const reason = setupFailureReason(err);
        if (reason === Reasons.internal) this.log.error({ err }, 'call failed');
        else this.log.warn({ err }, 'call refused: media unavailable');
        await this.close(reason);
      }
    }
  }

  async #run(): Promise<void> {
    this.leg.on('hungUp', () => void this.close(Reasons.callerBye));
    this.leg.on('cancelled', () => void this.close(Reasons.callerCancel));
    this.leg.on('ended', (cause) => {
      if (cause === 'connection-lost' || cause === 'ack-timeout' || cause === 'answer-failed') void this.close(Reasons.sipLost);
    });

    const media = await this.createMedia(
      this.route.kind === 'room' ? this.route.target.roomJid : undefined,
      noiseSuppressionWanted(this.meta.header(NOISE_SUPPRESSION_HEADER)),
    );
    if (this.closing) return;
    // INFO digits go where RFC 4733 digits go: to the PIN prompt's digit collector, if one waits.
    this.leg.on('dtmf', (info) => media.pushCallerDigit(info.digit));
    const offer = this.leg.lateOffer ? undefined : this.leg.remoteSdp;
    try {
      this.#callerSdp = offer === undefined ? await media.offerToCaller() : await media.answerCaller(offer);
    } catch (err) {
      // Admission checked the offer against the engine's codecs; in FreeSWITCH mode only
      // FreeSWITCH knows what it accepts, so a refusal surfaces here.
      if (!(err instanceof SdpNegotiationError)) throw err;
      this.log.info({ reason: err.message }, 'caller offer refused by the media side');
      await this.close(Reasons.badSdp);
      return;
    }
    if (this.closing) return;
    this.leg.setReinviteHandler(async (offer) => media.answerCaller(offer));
    this.#acceptTransfers(media);

    this.phaseValue = 'routing';
    const target = await this.#resolveRoom(media);
    if (target === undefined || this.closing) return;

    this.phaseValue = 'joining';
    // Listeners go on before the join: Jicofo can send session-initiate right after it.
    const signaling = this.openSignaling(media, {
      roomJid: target.roomJid,
      ...(target.password !== undefined ? { roomPassword: target.password } : {}),
      nick: this.displayName,
    });
    const control = new MeetingControl(this.leg, signaling.conference, media, this.log);
    const outcome = await signaling.conference.start();
    if (this.closing) return;
    if (!(await this.#handleJoinOutcome(outcome, control))) return;
    if (this.phaseValue === 'joining') this.phaseValue = 'waiting-session';
    this.awaitSessionInitiate();
  }

  async #resolveRoom(media: CallMedia): Promise<{ roomJid: string; password: string | undefined } | undefined> {
    if (this.route.kind === 'room') return this.route.target;
    if (this.deps.pinLookup === undefined) {
      await this.close(Reasons.internal);
      return undefined;
    }
    // The PIN prompt needs the caller's audio path: answer before the first prompt, as the
    // contract allows when something must be played. A right one-tap PIN plays nothing, so that
    // caller is answered when the meeting's media is up, like a call that names its room.
    const io: CallerInteraction = {
      play: async (prompt) => {
        await this.#answerCaller();
        return media.play(prompt);
      },
      playAndCollect: async (prompt, opts) => {
        await this.#answerCaller();
        return media.playAndCollect(prompt, opts);
      },
    };
    const pin = await runPinPrompt(io, this.deps.pinLookup, DEFAULT_PIN_PROMPT, () => this.closing, this.route.pin);
    if (pin.kind !== 'room') {
      this.log.info({ reason: pin.reason }, 'PIN prompt failed');
      await this.close(Reasons.wrongPin);
      return undefined;
    }
    this.log.info({ room: pin.roomJid, oneTap: pin.pin === this.route.pin }, 'PIN accepted');
    return { roomJid: pin.roomJid, password: undefined };
  }

  /** True when the call is in the room and should go on. */
  async #handleJoinOutcome(outcome: JoinOutcome, control: MeetingControl): Promise<boolean> {
    switch (outcome.kind) {
      case 'joined':
        return true;
      case 'lobby':
        return this.#waitInLobby(control);
      case 'password-required':
        await this.#sayAndClose('wrong-password', Reasons.wrongPassword);
        return false;
      case 'room-full':
        await this.#sayAndClose('room-full', Reasons.roomFull);
        return false;
      case 'banned':
        await this.close(Reasons.banned);
        return false;
      case 'error':
        this.log.warn({ condition: outcome.condition, text: outcome.text }, 'room join failed');
        await this.close(Reasons.joinFailed);
        return false;
    }
  }

  async #waitInLobby(control: MeetingControl): Promise<boolean> {
    const signaling = this.signaling;
    const media = this.media;
    if (signaling === undefined || media === undefined) return false;
    await this.#answerCaller();
    control.notify(JigasiInfoType.lobbyJoined);
    // The waiting prompt repeats until the lobby decides; deciding interrupts both the prompt and
    // the pause between repetitions.
    let waiting = true;
    let wake: () => void = () => undefined;
    const decided = new Promise<void>((r) => (wake = r));
    const loop = (async () => {
      while (waiting && !this.closing) {
        await media.play('lobby-wait');
        if (waiting) await Promise.race([decided, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
    })();
    const result = await signaling.conference.joinLobby().catch(() => 'denied' as const);
    waiting = false;
    wake();
    media.stopPrompt();
    await loop;
    if (this.closing) return false;
    if (result === 'admitted') {
      control.notify(JigasiInfoType.lobbyAllowedJoin);
      return true;
    }
    control.notify(JigasiInfoType.lobbyRejectedJoin);
    if (result === 'denied') await this.#sayAndClose('lobby-denied', Reasons.lobbyDenied);
    else await this.close(Reasons.lobbyTimeout);
    return false;
  }

  async #sayAndClose(prompt: PromptName, reason: CloseReason): Promise<void> {
    try {
      await this.#answerCaller();
      if (!this.closing) await this.media?.play(prompt);
    } catch (err) {
      this.log.debug({ err }, 'could not play the closing prompt');
    }
    await this.close(reason);
  }

  async #answerCaller(): Promise<void> {
    if (this.leg.state !== 'ringing' || this.#callerSdp === undefined) return;
    await this.leg.answer(this.#callerSdp);
    this.answeredAt = Date.now();
    if (this.leg.lateOffer && this.leg.remoteSdp !== undefined) await this.media?.acceptCallerAnswer(this.leg.remoteSdp);
  }

  protected async bridgeConnected(resumed: boolean): Promise<void> {
    try {
      await this.#answerCaller();
    } catch (err) {
      this.log.info({ err }, 'caller went away before the answer');
      return;
    }
    if (this.closing) return;
    this.phaseValue = 'connected';
    this.showStatus('Connected');
    if (!resumed) this.deps.metrics?.callSetupSeconds.observe({ direction: 'in' }, (Date.now() - this.startedAt) / 1000);
    this.log.info({ setupMs: Date.now() - this.startedAt, resumed }, 'call connected');
  }

  protected get sipLeg(): InboundSipLeg {
    return this.leg;
  }

  protected get parties(): CallParties {
    return { shownAs: this.displayName, phoneNumber: this.meta.from.user ?? null, calledNumber: this.meta.to.user ?? null, sipCallId: this.meta.callId };
  }

  /** 200 once answered; else the final response endSip() sends (CANCEL: the stack's 487). */
  protected finalSipStatus(reason: CloseReason): number | undefined {
    if (this.answeredAt !== undefined) return 200;
    if (reason === Reasons.callerCancel) return 487;
    return reason === Reasons.sipLost ? undefined : (reason.sipStatus ?? 480);
  }

  protected async endSip(reason: CloseReason): Promise<void> {
    if (this.leg.state === 'ended') return;
    await this.leg.hangup(reason.cause, reason.sipStatus ?? 480);
  }
}
