import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import type { CallMedia } from '../media/call-media.js';
import type { SipLeg } from '../sip/sip-leg.js';
import { settleWithin } from '../util/deadline.js';
import type { CallSignaling } from '../xmpp/call-signaling.js';
import type { ConferenceSessionOptions } from '../xmpp/conference/index.js';
import { BridgeSession } from './bridge-session.js';
import type { CallDeps } from './call-deps.js';
import { reportCallEnd } from './call-end-report.js';
import { callSnapshot, type CallParties, type CallSnapshot } from './call-snapshot.js';
import { bridgeFailureReason, bridgeTransportReason, endedBy, Reasons } from './close-reason.js';
import type { CloseReason, RegisteredCall } from './registry.js';
import { CallTimers } from './timers.js';
import { rideThroughXmppOutages } from './xmpp-ride-through.js';

type TeardownStep = 'sip' | 'jingle' | 'conference' | 'media';

/**
 * Each step's share of close(). After the caller's BYE the SIP step has nothing to wait for, so
 * the call is gone within jingle + conference + media = 1.8 s however slow the peers are. Only
 * our own BYE or CANCEL waits for an answer, up to a second; drachtio retransmits it regardless.
 * The session-terminate needs no answer, only to leave before the room is left; the conference
 * step leaves (CONFERENCE_LEAVE_TIMEOUT_MS) and closes the stream (bounded in closeXmppClient) within it.
 */
export const TEARDOWN_DEADLINES_MS: Readonly<Record<TeardownStep, number>> = {
  sip: 1000,
  jingle: 200,
  conference: 1200,
  media: 400,
};

/** Out of the room (kicked, room destroyed, XMPP gone for good) the focus cannot be reached. */
const FOCUS_UNREACHABLE: ReadonlySet<CloseReason> = new Set([Reasons.kicked, Reasons.roomDestroyed, Reasons.xmppLost, Reasons.xmppReconnectFailed]);

/** How long leaving the room waits for the MUC's echo before the stream is closed anyway. */
export const CONFERENCE_LEAVE_TIMEOUT_MS = 500;

export type CallPhase =
  | 'setup'
  | 'routing'
  | 'joining'
  | 'dialling'
  | 'waiting-session'
  | 'connected'
  | 'suspended'
  | 'closing'
  | 'closed';

/**
 * What every call has, whichever side started it: the media, the conference and Jingle sessions
 * and the bridge session between them, the timers, and the single idempotent close() with its
 * fixed teardown order. Subclasses drive their flow and say how their SIP leg is ended.
 */
export abstract class CallBase implements RegisteredCall {
  readonly id: string;
  readonly startedAt = Date.now();
  protected phaseValue: CallPhase = 'setup';
  protected room: string | undefined;
  protected log: Logger;
  protected media: CallMedia | undefined;
  protected signaling: CallSignaling | undefined;
  protected readonly timers = new CallTimers();
  protected answeredAt: number | undefined;
  #bridge: BridgeSession | undefined;
  #closing: Promise<void> | undefined;
  #closeReason: CloseReason | undefined;

  protected constructor(
    idSeed: string,
    protected readonly direction: 'in' | 'out',
    protected readonly deps: CallDeps,
  ) {
    this.id = `${idSeed.slice(0, 32)}-${randomBytes(3).toString('hex')}`;
    this.log = deps.logger.child({ callId: this.id, direction });
  }

  get phase(): CallPhase {
    return this.phaseValue;
  }
  get roomJid(): string | undefined {
    return this.room;
  }
  get roomOccupants(): readonly string[] {
    const conference = this.signaling?.conference;
    if (conference === undefined || !conference.joined) return [];
    const nickOf = (jid: string): string => jid.slice(jid.indexOf('/') + 1);
    const focus = nickOf(conference.focusOccupantJid);
    return [nickOf(conference.occupantJid), ...conference.occupants.map((o) => o.nick).filter((n) => n !== focus)];
  }
  get closeReason(): CloseReason | undefined {
    return this.#closeReason;
  }
  protected get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * The phone side is gone but the call never heard of it (a lost SIP event): nobody is on the
   * line while the call holds a slot and a meeting seat. The registry's reaper ends such calls.
   */
  get orphaned(): boolean {
    const leg = this.sipLeg;
    return !this.closing && leg !== undefined && (leg.state === 'ended' || leg.dialogGone);
  }

  /** What GET /calls shows of the call now (and its CDR at the end). */
  snapshot(): CallSnapshot {
    const { id, direction, room, startedAt, answeredAt, media } = this;
    return callSnapshot({ id, direction, room, phase: this.phaseValue, startedAt, answeredAt, parties: this.parties, media });
  }

  /** Who is on the call, for the snapshot and the CDR. */
  protected abstract get parties(): CallParties;
  /** The final status of the phone's INVITE, once there is one. */
  protected abstract finalSipStatus(reason: CloseReason): number | undefined;
  /** The call's SIP leg once it exists (an outbound call has none while ringing). */
  protected abstract get sipLeg(): SipLeg | undefined;
  /** Ends the caller's SIP leg (BYE, CANCEL or a final response, as its state requires). */
  protected abstract endSip(reason: CloseReason): Promise<void>;
  /** The bridge side is up (first time, or after a resume / migration). */
  protected abstract bridgeConnected(resumed: boolean): Promise<void>;

  /** The call's media; `roomJid` when the room is already known (callers of a room share a media worker). */
  protected async createMedia(roomJid?: string, noiseSuppression?: boolean): Promise<CallMedia> {
    const media = await this.deps.media.createCallMedia({
      callId: this.id,
      ...(roomJid !== undefined ? { roomJid } : {}),
      ...(noiseSuppression !== undefined ? { noiseSuppression } : {}),
    });
    this.media = media;
    media.on('bridgeFailed', (reason) => {
      this.log.warn({ reason }, 'bridge transport failed');
      void this.close(bridgeTransportReason(reason));
    });
    media.on('bridgeMediaTimeout', () => void this.close(Reasons.noBridgeMedia));
    media.on('callerMediaTimeout', () => {
      this.log.warn({ afterMs: this.deps.timeouts.callerRtpMs }, 'no RTP from the phone');
      if (this.deps.timeouts.callerRtpHangup) void this.close(Reasons.callerRtpTimeout);
    });
    media.on('callerMediaResumed', () => this.log.info('phone RTP resumed'));
    media.on('callerMediaFailed', (reason) => {
      this.log.warn({ reason }, 'caller media lost');
      void this.close(Reasons.mediaServerLost);
    });
    media.on('mediaLost', (reason) => {
      this.log.error({ reason }, 'call media lost');
      void this.close(Reasons.mediaWorkerDied);
    });
    return media;
  }

  /** Opens the conference + Jingle sessions for `roomJid` and wires everything the meeting can do. */
  protected openSignaling(
    media: CallMedia,
    perCall: Pick<ConferenceSessionOptions, 'roomJid' | 'roomPassword' | 'nick' | 'extraHeaders'>,
  ): CallSignaling {
    this.room = perCall.roomJid;
    this.log = this.log.child({ room: perCall.roomJid });
    this.deps.registry.touch();
    const signaling = this.deps.createSignaling(
      {
        ...this.deps.conference,
        ...perCall,
        direction: this.direction,
        reconnectWindowMs: this.deps.timeouts.xmppReconnectWindowMs,
        logger: this.log.child({ component: 'conference' }),
      },
      this.log,
    );
    this.signaling = signaling;
    const { conference, jingle } = signaling;
    conference.on('kicked', (ev) => {
      this.log.info({ actor: ev.actor, reason: ev.reason }, 'kicked from the meeting');
      void this.close(Reasons.kicked);
    });
    conference.on('roomDestroyed', () => void this.close(Reasons.roomDestroyed));
    conference.on('occupantsChanged', () => this.deps.registry.touch());

    const bridge = new BridgeSession(jingle, media, this.log);
    this.#bridge = bridge;
    bridge.setRoom(perCall.roomJid);
    jingle.on('initiate', () => {
      this.timers.clear('session-initiate');
      this.timers.clear('resume-window');
    });
    bridge.on('connected', ({ resumed }) => {
      if (!this.closing) void this.bridgeConnected(resumed);
    });
    bridge.on('suspended', () => {
      this.phaseValue = 'suspended';
      this.timers.set('resume-window', this.deps.timeouts.resumeWindowMs, () => void this.close(Reasons.resumeWindowExpired));
    });
    bridge.on('failed', (err) => {
      this.log.warn({ err }, 'bridge setup failed');
      void this.close(bridgeFailureReason(err));
    });
    rideThroughXmppOutages({
      signaling,
      bridge,
      media,
      timers: this.timers,
      log: this.log,
      windowMs: this.deps.timeouts.xmppReconnectWindowMs,
      mayReconnect: () => !this.deps.registry.draining && !this.closing,
      answered: () => this.answeredAt !== undefined,
      close: (reason) => void this.close(reason),
    });
    return signaling;
  }

  /** Presence status text the meeting shows under the participant ("Ringing", "Connected", …). */
  protected showStatus(text: string): void {
    this.signaling?.conference.setStatus(text).catch((err: unknown) => this.log.debug({ err, text }, 'status not published'));
  }

  /** Starts the wait for Jicofo's session-initiate, unless it already came. */
  protected awaitSessionInitiate(): void {
    if (this.signaling?.jingle.state !== 'idle') return;
    this.timers.set('session-initiate', this.deps.timeouts.sessionInitiateMs, () => void this.close(Reasons.noSessionInitiate));
  }

  /**
   * Ends the call once, whatever asks first. Order matters: the phone is told first (BYE, CANCEL
   * or a final response) so nobody sits in silence while the room is left; then the Jingle
   * session and the room; media last, because it is local and cannot fail anyone else.
   */
  close(reason: CloseReason): Promise<void> {
    this.#closing ??= this.#close(reason);
    return this.#closing;
  }

  async #close(reason: CloseReason): Promise<void> {
    const began = performance.now();
    this.#closeReason = reason;
    this.phaseValue = 'closing';
    this.timers.clearAll();
    this.log.info({ cause: reason.cause, cls: reason.cls }, 'call ending');
    await this.#step('sip', () => this.endSip(reason));
    await this.#step('jingle', async () => {
      this.#bridge?.close();
      // Out of the room (kicked, room destroyed, XMPP gone) the focus cannot be reached, and it
      // already knows the participant left.
      const reachable = !FOCUS_UNREACHABLE.has(reason);
      const condition = reason.jingleReason ?? (reason.cls === 'normal' ? 'success' : 'general-error');
      await this.signaling?.jingle.terminate(condition, reason.cause, reachable);
    });
    await this.#step('conference', () => this.signaling?.conference.close(reason.cause));
    await this.#step('media', async () => {
      if (this.media === undefined) return;
      // Closed first: media in a worker thread reports its final counters with the close.
      await this.media.close();
    });
    reportCallEnd(this.deps.metrics, this.deps.cdr, this.snapshot(), {
      reason,
      endedBy: endedBy(reason),
      sipStatus: this.finalSipStatus(reason),
      endedAtMs: Date.now(),
    });
    this.phaseValue = 'closed';
    this.deps.registry.remove(this.id, reason.cls);
    const duration = this.answeredAt === undefined ? undefined : (Date.now() - this.answeredAt) / 1000;
    this.deps.metrics?.callEnded(this.direction, reason.cls, duration);
    this.deps.metrics?.callCloseSeconds.observe((performance.now() - began) / 1000);
  }

  /**
   * One teardown step, never longer than its share of the close budget: a peer that does not
   * answer (a BYE, a session-terminate, a stream close) must not keep the slot and the seat.
   * A late step goes on in the background; each one bounds its own resources too.
   */
  async #step(name: TeardownStep, fn: () => Promise<void> | void): Promise<void> {
    const work = (async () => fn())().catch((err: unknown) => {
      this.log.warn({ err, step: name }, 'teardown step failed');
    });
    const ms = TEARDOWN_DEADLINES_MS[name];
    if (!(await settleWithin(work, ms))) this.log.warn({ step: name, deadlineMs: ms }, 'teardown step overran its deadline; moving on');
  }
}
