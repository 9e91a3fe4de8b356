import type { Logger } from '../log.js';
import type { CallMedia } from '../media/call-media.js';
import { JigasiInfoType, type DtmfDigit, type JsonInfoMessage } from '../sip/info-payloads.js';
import type { SipLeg } from '../sip/sip-leg.js';
import type { AvModerationUpdate } from '../xmpp/conference/av-moderation.js';
import type { ConferenceSession } from '../xmpp/conference/index.js';
import { KeypadCommands } from './keypad.js';

/**
 * The meeting's control over the caller and the caller's over the meeting: moderator mute, the
 * caller's keypad (`*6` mute toggle), audio moderation (an unapproved caller raises a hand
 * instead of unmuting), web DTMF toward the phone, and jigasi's JSON INFO protocol (mute requests,
 * room password, heartbeats). Kicks and room destruction end the call and are handled by the call itself.
 */
export class MeetingControl {
  #infoCounter = 0;
  #muted = false;
  /** Audio moderation ("ask to unmute") in the room, and whether this caller may speak. */
  #moderation = { enabled: false, approved: false };
  #handRaised = false;
  readonly #keypad = new KeypadCommands({ toggleMute: () => this.#requestMute(!this.#muted, 'keypad') });

  constructor(
    private readonly leg: SipLeg,
    private readonly conference: ConferenceSession,
    private readonly media: CallMedia,
    private readonly log: Logger,
  ) {
    conference.on('muteRequested', (ev) => this.#onModeratorMute(ev.muted, ev.actor));
    conference.on('avModeration', (update) => this.#onModeration(update));
    media.on('bridgeDtmf', (digit) => this.#toCaller(digit));
    leg.on('jsonInfo', (msg) => this.#onJsonInfo(msg));
    media.on('callerDtmf', (digit) => this.#keypad.press(digit, 'rtp'));
    leg.on('dtmf', (info) => this.#keypad.press(info.digit, 'info'));
  }

  /** Sends a jigasi-protocol INFO to the SIP side (best effort: an IVR may not understand it). */
  notify(t: number, d?: unknown): void {
    if (this.leg.state !== 'answered') return;
    const message: JsonInfoMessage = { kind: 'protocol', t, i: ++this.#infoCounter, d };
    this.leg.sendJsonInfo(message).catch((err: unknown) => this.log.debug({ err, t }, 'JSON INFO not accepted'));
  }

  #onModeratorMute(muted: boolean, actor: string | undefined): void {
    if (!muted) {
      // Unmuting someone by force is not what Jitsi moderators can do to browsers either.
      this.log.info({ actor }, 'unmute request from the meeting ignored');
      return;
    }
    this.log.info({ actor }, 'muted by a moderator');
    this.#muted = true;
    this.media.setMuted(true);
    if (this.leg.state === 'answered') {
      this.leg
        .sendJsonInfo({ kind: 'mute', type: 'muteRequest', id: undefined, audioMuted: true, status: undefined })
        .catch((err: unknown) => this.log.debug({ err }, 'mute INFO not accepted'));
    }
  }

  /**
   * The caller mutes or unmutes themself (keypad or an IVR's mute request). Under audio
   * moderation an unapproved caller cannot unmute: the hand goes up instead, as the web client
   * does, and a moderator's approval lets the next request through. False when refused.
   */
  #requestMute(muted: boolean, by: 'keypad' | 'sip-info'): boolean {
    if (!muted && this.#moderation.enabled && !this.#moderation.approved) {
      this.log.info({ by }, 'unmute refused by audio moderation; raising the hand');
      this.#setHand(true);
      return false;
    }
    this.#muted = muted;
    this.log.info({ muted, by }, 'caller mute changed');
    this.media.setMuted(muted);
    this.conference.setAudioMuted(muted).catch((err: unknown) => this.log.debug({ err }, 'audiomuted not published'));
    if (!muted) this.#setHand(false);
    return true;
  }

  #setHand(raised: boolean): void {
    if (raised === this.#handRaised) return;
    this.#handRaised = raised;
    this.conference.setRaisedHand(raised ? Date.now() : null).catch((err: unknown) => this.log.debug({ err }, 'raised hand not published'));
  }

  #onModeration(update: AvModerationUpdate): void {
    if (update.kind === 'enabled') {
      this.#moderation.enabled = update.enabled;
      // A new round of moderation starts from "not approved"; the component says who is.
      if (update.enabled) this.#moderation.approved = false;
      this.notify(JigasiInfoType.avModerationEnabled, update.enabled);
      return;
    }
    this.#moderation.approved = update.approved;
    this.notify(update.approved ? JigasiInfoType.avModerationApproved : JigasiInfoType.avModerationDenied);
  }

  #toCaller(digit: string): void {
    if (this.leg.state !== 'answered') return;
    if (this.media.callerHasTelephoneEvent) {
      this.media.sendDtmfToCaller(digit);
      return;
    }
    this.leg.sendDtmfInfo(digit as DtmfDigit).catch((err: unknown) => this.log.debug({ err }, 'DTMF INFO not accepted'));
  }

  #onJsonInfo(msg: JsonInfoMessage): void {
    if (msg.kind === 'mute') {
      if (msg.type !== 'muteRequest' || msg.audioMuted === undefined) return;
      const granted = this.#requestMute(msg.audioMuted, 'sip-info');
      this.leg
        .sendJsonInfo({ kind: 'mute', type: 'muteResponse', id: msg.id, audioMuted: this.#muted, status: granted ? 'OK' : 'FAILED' })
        .catch((err: unknown) => this.log.debug({ err }, 'muteResponse not accepted'));
      return;
    }
    switch (msg.t) {
      case JigasiInfoType.requestRoomAccess: {
        const pwd = typeof msg.d === 'object' && msg.d !== null ? (msg.d as { pwd?: unknown }).pwd : undefined;
        if (typeof pwd === 'string') this.conference.submitPassword(pwd).catch((err: unknown) => this.log.warn({ err }, 'room password retry failed'));
        return;
      }
      case JigasiInfoType.heartbeat:
        this.notify(JigasiInfoType.heartbeat);
        return;
      default:
        this.log.debug({ t: msg.t }, 'JSON INFO ignored');
    }
  }
}
