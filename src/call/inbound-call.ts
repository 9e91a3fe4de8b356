import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { CallMedia } from '../media/call-media.js';
import type { PromptName } from '../sip/pin/pin-prompt.js';
import { DEFAULT_PIN_PROMPT, runPinPrompt } from '../sip/pin/pin-prompt.js';
import type { InboundCallMeta, InboundRoute, InboundSipLeg } from '../sip/sip-leg.js';
import { JigasiInfoType } from '../sip/info-payloads.js';
import type { CallSignaling } from '../xmpp/call-signaling.js';
import type { JoinOutcome } from '../xmpp/conference/index.js';
import { BridgeSession } from './bridge-session.js';
import type { CallDeps } from './call-deps.js';
import { Reasons } from './close-reason.js';
import { MeetingControl } from './meeting-control.js';
import type { CloseReason, RegisteredCall } from './registry.js';
import { CallTimers } from './timers.js';

export type CallPhase = 'setup' | 'routing' | 'joining' | 'waiting-session' | 'connected' | 'suspended' | 'closing' | 'closed';

/**
 * One phone caller in one meeting: owns the SIP leg, the conference and Jingle sessions and the
 * media, drives the inbound flow (design.md "Anatomy of one inbound call") and tears all of it
 * down through a single idempotent close().
 */
export class InboundCall implements RegisteredCall {
  readonly id: string;
  readonly startedAt = Date.now();
  #phase: CallPhase = 'setup';
  #roomJid: string | undefined;
  #log: Logger;
  #media: CallMedia | undefined;
  #signaling: CallSignaling | undefined;
  #bridge: BridgeSession | undefined;
  #callerSdp: string | undefined;
  #answeredAt: number | undefined;
  readonly #timers = new CallTimers();
  #closing: Promise<void> | undefined;
  #closeReason: CloseReason | undefined;

  constructor(
    private readonly leg: InboundSipLeg,
    private readonly route: InboundRoute,
    private readonly meta: InboundCallMeta,
    private readonly deps: CallDeps,
  ) {
    this.id = `${meta.callId.slice(0, 32)}-${randomBytes(3).toString('hex')}`;
    this.#log = deps.logger.child({ callId: this.id, sipCallId: meta.callId });
  }

  get phase(): CallPhase {
    return this.#phase;
  }
  get roomJid(): string | undefined {
    return this.#roomJid;
  }
  get remoteParticipants(): number {
    return this.#signaling?.conference.occupantCount ?? 0;
  }
  get closeReason(): CloseReason | undefined {
    return this.#closeReason;
  }
  /** The caller as the meeting sees them. */
  get displayName(): string {
    return this.meta.from.displayName ?? this.meta.from.user ?? 'Phone';
  }

  /** Runs the whole call; never throws (every failure ends in close()). */
  async run(): Promise<void> {
    this.deps.registry.add(this);
    try {
      await this.#run();
    } catch (err) {
      if (this.#closing === undefined) {
        this.#log.error({ err }, 'call failed');
        await this.close(Reasons.internal);
      }
    }
  }

  async #run(): Promise<void> {
    this.leg.on('hungUp', () => void this.close(Reasons.callerBye));
    this.leg.on('cancelled', () => void this.close(Reasons.callerCancel));
    this.leg.on('ended', (cause) => {
      if (cause === 'connection-lost' || cause === 'ack-timeout') void this.close(Reasons.sipLost);
    });

    const media = await this.deps.media.createCallMedia({ callId: this.id });
    this.#media = media;
    if (this.#closing !== undefined) return;
    this.#wireMedia(media);
    this.#callerSdp = this.leg.lateOffer || this.leg.remoteSdp === undefined ? media.offerToCaller() : media.answerCaller(this.leg.remoteSdp);
    this.leg.setReinviteHandler(async (offer) => media.answerCaller(offer));

    this.#phase = 'routing';
    const target = await this.#resolveRoom(media);
    if (target === undefined || this.#closing !== undefined) return;
    this.#roomJid = target.roomJid;
    this.#log = this.#log.child({ room: target.roomJid });
    this.deps.registry.touch();

    this.#phase = 'joining';
    const signaling = this.deps.createSignaling(
      {
        ...this.deps.conference,
        roomJid: target.roomJid,
        ...(target.password !== undefined ? { roomPassword: target.password } : {}),
        nick: this.displayName,
        direction: 'in',
        logger: this.#log.child({ component: 'conference' }),
      },
      this.#log,
    );
    this.#signaling = signaling;
    // Listeners first: Jicofo can send session-initiate right after the join presence.
    this.#wireSignaling(signaling, media);
    const control = new MeetingControl(this.leg, signaling.conference, media, this.#log);
    if (this.#closing !== undefined) return;

    const outcome = await signaling.conference.start();
    if (this.#closing !== undefined) return;
    if (!(await this.#handleJoinOutcome(outcome, control))) return;

    if (this.#phase === 'joining') {
      this.#phase = 'waiting-session';
      this.#timers.set('session-initiate', this.deps.timeouts.sessionInitiateMs, () => void this.close(Reasons.noSessionInitiate));
    }
  }

  async #resolveRoom(media: CallMedia): Promise<{ roomJid: string; password: string | undefined } | undefined> {
    if (this.route.kind === 'room') return this.route.target;
    if (this.deps.pinLookup === undefined) {
      await this.close(Reasons.internal);
      return undefined;
    }
    // The PIN prompt needs the caller's audio path: answer now, as the contract allows when
    // something must be played.
    await this.#answerCaller();
    const pin = await runPinPrompt(media, this.deps.pinLookup, DEFAULT_PIN_PROMPT, () => this.#closing !== undefined);
    if (pin.kind !== 'room') {
      this.#log.info({ reason: pin.reason }, 'PIN prompt failed');
      await this.close(Reasons.wrongPin);
      return undefined;
    }
    this.#log.info({ room: pin.roomJid }, 'PIN accepted');
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
        this.#log.warn({ condition: outcome.condition, text: outcome.text }, 'room join failed');
        await this.close(Reasons.joinFailed);
        return false;
    }
  }

  async #waitInLobby(control: MeetingControl): Promise<boolean> {
    const signaling = this.#signaling;
    const media = this.#media;
    if (signaling === undefined || media === undefined) return false;
    await this.#answerCaller();
    control.notify(JigasiInfoType.lobbyJoined);
    // The waiting prompt repeats until the lobby decides; deciding interrupts both the prompt and
    // the pause between repetitions.
    let waiting = true;
    let wake: () => void = () => undefined;
    const decided = new Promise<void>((r) => (wake = r));
    const loop = (async () => {
      while (waiting && this.#closing === undefined) {
        await media.play('lobby-wait');
        if (waiting) await Promise.race([decided, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
    })();
    const result = await signaling.conference.joinLobby().catch(() => 'denied' as const);
    waiting = false;
    wake();
    media.stopPrompt();
    await loop;
    if (this.#closing !== undefined) return false;
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
      if (this.#closing === undefined) await this.#media?.play(prompt);
    } catch (err) {
      this.#log.debug({ err }, 'could not play the closing prompt');
    }
    await this.close(reason);
  }

  async #answerCaller(): Promise<void> {
    if (this.leg.state !== 'ringing' || this.#callerSdp === undefined) return;
    await this.leg.answer(this.#callerSdp);
    this.#answeredAt = Date.now();
    if (this.leg.lateOffer && this.leg.remoteSdp !== undefined) this.#media?.acceptCallerAnswer(this.leg.remoteSdp);
  }

  #wireMedia(media: CallMedia): void {
    media.on('bridgeFailed', (reason) => {
      this.#log.warn({ reason }, 'bridge transport failed');
      void this.close(Reasons.bridgeFailed);
    });
    media.on('bridgeMediaTimeout', () => void this.close(Reasons.noBridgeMedia));
    media.on('callerMediaTimeout', () => {
      this.#log.warn({ afterMs: this.deps.timeouts.callerRtpMs }, 'no RTP from the caller');
      if (this.deps.timeouts.callerRtpHangup) void this.close(Reasons.callerRtpTimeout);
    });
    media.on('callerMediaResumed', () => this.#log.info('caller RTP resumed'));
  }

  #wireSignaling(signaling: CallSignaling, media: CallMedia): void {
    const { conference, jingle } = signaling;
    conference.on('kicked', (ev) => {
      this.#log.info({ actor: ev.actor, reason: ev.reason }, 'kicked from the meeting');
      void this.close(Reasons.kicked);
    });
    conference.on('roomDestroyed', () => void this.close(Reasons.roomDestroyed));
    conference.on('disconnected', () => void this.close(Reasons.xmppLost));
    conference.on('occupantsChanged', () => this.deps.registry.touch());

    const bridge = new BridgeSession(jingle, media, this.#log);
    this.#bridge = bridge;
    if (this.#roomJid !== undefined) bridge.setRoom(this.#roomJid);
    jingle.on('initiate', () => {
      this.#timers.clear('session-initiate');
      this.#timers.clear('resume-window');
    });
    bridge.on('connected', ({ resumed }) => void this.#onBridgeConnected(resumed));
    bridge.on('suspended', () => {
      this.#phase = 'suspended';
      this.#timers.set('resume-window', this.deps.timeouts.resumeWindowMs, () => void this.close(Reasons.resumeWindowExpired));
    });
    bridge.on('failed', (err) => {
      this.#log.warn({ err }, 'bridge setup failed');
      void this.close(Reasons.bridgeFailed);
    });
  }

  async #onBridgeConnected(resumed: boolean): Promise<void> {
    if (this.#closing !== undefined) return;
    try {
      await this.#answerCaller();
    } catch (err) {
      this.#log.info({ err }, 'caller went away before the answer');
      return;
    }
    this.#phase = 'connected';
    this.#signaling?.conference.setStatus('Connected');
    if (!resumed) this.deps.metrics?.callSetupSeconds.observe({ direction: 'in' }, (Date.now() - this.startedAt) / 1000);
    this.#log.info({ setupMs: Date.now() - this.startedAt, resumed }, 'call connected');
  }

  /**
   * Ends the call once, whatever asks first. Order matters: the caller is told first (BYE, or a
   * final response while ringing) so they never sit in silence while the room is left; then the
   * Jingle session and the room; media last, because it is local and cannot fail anyone else.
   */
  close(reason: CloseReason): Promise<void> {
    this.#closing ??= this.#close(reason);
    return this.#closing;
  }

  async #close(reason: CloseReason): Promise<void> {
    this.#closeReason = reason;
    this.#phase = 'closing';
    this.#timers.clearAll();
    this.#log.info({ cause: reason.cause, cls: reason.cls }, 'call ending');
    const step = async (name: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        this.#log.warn({ err, step: name }, 'teardown step failed');
      }
    };
    await step('sip', async () => {
      if (this.leg.state === 'ended') return;
      await this.leg.hangup(reason.cause, reason.sipStatus ?? 480);
    });
    await step('jingle', async () => {
      this.#bridge?.close();
      await this.#signaling?.jingle.terminate(reason.cls === 'normal' ? 'success' : 'general-error', reason.cause);
    });
    await step('conference', () => this.#signaling?.conference.close(reason.cause));
    await step('media', () => this.#media?.close());
    this.#phase = 'closed';
    this.deps.registry.remove(this.id, reason.cls);
    const duration = this.#answeredAt === undefined ? undefined : (Date.now() - this.#answeredAt) / 1000;
    this.deps.metrics?.callEnded('in', reason.cls, duration);
  }
}
