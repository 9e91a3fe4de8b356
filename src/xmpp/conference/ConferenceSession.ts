import { parseAvModeration } from './av-moderation.js';
import type { Element } from '@xmpp/xml';
import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { closeXmppClient, XmppStanzaError, type Client } from '../connection.js';
import { DEFAULT_DISCO_FEATURES, discoFeaturesFor } from './disco-features.js';
import { SessionClosedError } from './errors.js';
import { requestConference, type FocusAnswer } from './focus-request.js';
import { installIqRoutes } from './iq-router.js';
import { bareJid, fromMeetingOrFocus, randomCallResource } from './jid.js';
import { isInvitationFrom } from './lobby.js';
import { LobbyVisit } from './lobby-visit.js';
import { MucRoom } from './muc-room.js';
import { parseMucPresence } from './muc-presence.js';
import { FOCUS_NICK, NS } from './namespaces.js';
import { openConferenceConnection } from './open-connection.js';
import { OutageRecovery } from './outage-recovery.js';
import { PendingIqs } from './pending-iqs.js';
import { buildParticipantPresence, initialPresenceState, type ParticipantPresenceState } from './presence-builder.js';
import type { ConferenceSessionEvents, ConferenceSessionOptions, JoinOutcome, LobbyResult, Occupant } from './types.js';

export type JingleHandler = (iq: Element) => Promise<void>;

const INITIAL_STATUS = 'Initializing Call';
const DEFAULT_LOBBY_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_LEAVE_TIMEOUT_MS = 2000;
const DEFAULT_IQ_TIMEOUT_MS = 10_000;

/**
 * One phone caller's presence in a conference: a connection of its own that behaves toward
 * Jicofo like a browser participant (contract §1.2): conference request to the focus, MUC join
 * with the jigasi features, lobby and password handling, Jingle IQs from the focus routed to the
 * media side, moderator control turned into events. It decides nothing about the call itself.
 */
export class ConferenceSession extends TypedEmitter<ConferenceSessionEvents> {
  /** Our MUC nick and XMPP resource. */
  readonly resource: string;
  readonly roomJid: string;
  readonly #opts: ConferenceSessionOptions;
  readonly #log: Logger;
  readonly #presence: ParticipantPresenceState;
  readonly #main: MucRoom;
  readonly #iqs = new PendingIqs((stanza) => this.#send(stanza));
  /** Aborted by close() and by a lost connection: ends every wait at once. */
  readonly #abort = new AbortController();
  #client: Client | undefined;
  #password: string | undefined;
  #jingleHandler: JingleHandler | undefined;
  #focusAnswer: FocusAnswer | undefined;
  #started = false;
  #closing: Promise<void> | undefined;
  #mainJoin: Promise<JoinOutcome> | undefined;
  #lobbyRoomJid: string | undefined;
  #lobby: LobbyVisit | undefined;
  /** Gets the session back into its room after a lost connection; aborted by close(). */
  readonly #recovery: OutageRecovery;

  constructor(opts: ConferenceSessionOptions) {
    super();
    this.#opts = opts;
    this.resource = opts.resource ?? randomCallResource();
    this.roomJid = bareJid(opts.roomJid);
    this.#log = opts.logger.child({ room: this.roomJid, xmppResource: this.resource });
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'conference session listener failed'));
    this.#password = opts.roomPassword;
    this.#presence = initialPresenceState(opts);
    this.#main = new MucRoom(this.roomJid, this.resource, (s) => this.#send(s), this.#log);
    this.#recovery = new OutageRecovery({
      client: () => this.#client,
      mayRecover: () => this.#closing === undefined && this.#lobby === undefined,
      windowMs: opts.reconnectWindowMs ?? 0,
      attemptTimeoutMs: opts.joinTimeoutMs,
      focusReady: async (timeoutMs) => (await requestConference(this.#iqs, opts.focusJid, this.roomJid, timeoutMs, this.#log))?.ready === true,
      rejoin: () => this.#joinMain(),
      dropRooms: () => this.#dropRooms(),
      giveUp: () => this.#abort.abort(),
      reconnecting: (resumable) => this.emit('reconnecting', { resumable }),
      roomLost: () => this.emit('roomLost'),
      reconnected: (resumed) => this.emit('reconnected', { resumed }),
      failed: (detail) => this.emit('disconnected', { reason: 'reconnect-failed', detail }),
      log: this.#log,
    });
    this.#main.on('occupantsChanged', (change) => this.emit('occupantsChanged', change));
    this.#main.on('kicked', (info) => {
      this.#log.info(info, 'removed from the conference room');
      // 333: removed because our session failed (Prosody sends it as it shuts down), not a kick.
      if (info.statusCodes.includes('333') && this.#recovery.start(true)) return;
      this.emit('kicked', info);
    });
    this.#main.on('destroyed', (info) => {
      this.#log.info(info, 'conference room destroyed');
      this.emit('roomDestroyed', info);
    });
  }

  /** room@muc/focus: the only occupant whose Jingle and mute requests are obeyed. */
  get focusOccupantJid(): string {
    return `${this.roomJid}/${FOCUS_NICK}`;
  }

  /** room@muc/<our nick>. */
  get occupantJid(): string {
    return this.#main.occupantJid;
  }

  get joined(): boolean {
    return this.#main.state === 'joined';
  }

  /** Occupants of the main room other than us (focus included); 0 when not in it. */
  get occupantCount(): number {
    return this.occupants.length;
  }

  get occupants(): Occupant[] {
    return this.#main.state === 'joined' ? this.#main.occupants : [];
  }

  /** The focus' answer to the conference request; undefined when it refused or stayed silent. */
  get focusAnswer(): FocusAnswer | undefined {
    return this.#focusAnswer;
  }

  get audioMuted(): boolean {
    return this.#presence.audioMuted;
  }

  /** Where Jingle IQs from the focus go. Set it before start(): the offer can follow the join at once. */
  setJingleHandler(handler: JingleHandler): void {
    this.#jingleHandler = handler;
  }

  /**
   * Connects, asks the focus for the conference and joins the room. A refused join is an outcome
   * (lobby, password, full...), not an exception; a connection that cannot be opened throws
   * ConferenceConnectError, and close() during start() makes it reject with SessionClosedError.
   */
  async start(): Promise<JoinOutcome> {
    if (this.#started) throw new Error('ConferenceSession.start() called twice');
    this.#started = true;
    await this.#connect();
    const focusTimeout = this.#opts.focusTimeoutMs ?? this.#opts.joinTimeoutMs;
    this.#focusAnswer = await requestConference(this.#iqs, this.#opts.focusJid, this.roomJid, focusTimeout, this.#log);
    this.#throwIfClosed('start');
    const outcome = await this.#joinMain();
    this.#throwIfClosed('start');
    return outcome;
  }

  /** Retries the room join with a password (an IVR collected it); also works from the lobby. */
  async submitPassword(password: string): Promise<JoinOutcome> {
    this.#throwIfClosed('submitPassword');
    this.#password = password;
    if (this.#main.state === 'joined') return { kind: 'joined', occupants: this.#main.occupants };
    const outcome = await this.#joinMain();
    if (outcome.kind === 'joined') this.#lobby?.wait.admit();
    return outcome;
  }

  /**
   * After a 'lobby' outcome: waits in the lobby room for a moderator. An invitation from the main
   * room admits us (then we are in the main room when this resolves 'admitted'); a kick from the
   * lobby or its destruction is a denial. close() during the wait resolves 'denied'.
   */
  async joinLobby(): Promise<LobbyResult> {
    const lobbyJid = this.#lobbyRoomJid;
    if (lobbyJid === undefined) throw new Error('joinLobby() without a lobby outcome');
    this.#throwIfClosed('joinLobby');
    const visit = new LobbyVisit(new MucRoom(bareJid(lobbyJid), this.resource, (s) => this.#send(s), this.#log), {
      presenceFor: (room) => this.#presenceFor(room, true),
      joinMain: () => this.#joinMain(),
      mainJoined: () => this.#main.state === 'joined',
      entered: (lobbyRoomJid) => this.emit('lobbyJoined', { lobbyRoomJid }),
      signal: this.#abort.signal,
      joinTimeoutMs: this.#opts.joinTimeoutMs,
      waitTimeoutMs: this.#opts.lobbyTimeoutMs ?? DEFAULT_LOBBY_TIMEOUT_MS,
      leaveTimeoutMs: this.#opts.leaveTimeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS,
      log: this.#log,
    });
    this.#lobby = visit;
    return visit.run(() => this.#forgetLobby(visit));
  }

  setStatus(text: string): Promise<void> {
    return this.#update({ status: text });
  }

  /** The name the meeting shows (Jitsi reads the presence's nick element; the occupant JID stays). */
  setDisplayName(name: string): Promise<void> {
    return this.#update({ nick: name });
  }

  setAudioMuted(muted: boolean): Promise<void> {
    return this.#update({ audioMuted: muted });
  }

  /** Raise-hand for AV moderation: a timestamp (ms) raises it, null lowers it. */
  setRaisedHand(timestamp: number | null): Promise<void> {
    return this.#update({ raisedHand: timestamp });
  }

  /**
   * Sends an IQ (addressed to the focus occupant when it has no `to`) and resolves with the result
   * stanza; an error reply rejects with XmppStanzaError, silence with IqTimeoutError.
   */
  sendIq(iq: Element): Promise<Element> {
    if (this.#closing || !this.#client) return Promise.reject(new SessionClosedError('sendIq'));
    if (typeof iq.attrs['to'] !== 'string') iq.attrs['to'] = this.focusOccupantJid;
    return this.#iqs.request(iq, this.#opts.iqTimeoutMs ?? DEFAULT_IQ_TIMEOUT_MS);
  }

  /** sendIq() whose answer only matters for the log. */
  sendIqNoWait(iq: Element): void {
    this.sendIq(iq).catch((err: unknown) => {
      if (err instanceof SessionClosedError) return;
      this.#log.warn({ err, action: iq.getChild('jingle', NS.jingle)?.attrs['action'] }, 'iq answered with an error');
    });
  }

  /** Leaves the rooms we are in (lobby included), with `reason` as the unavailable status. */
  async leave(reason?: string): Promise<void> {
    const timeout = this.#opts.leaveTimeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS;
    // Not the session's signal: close() aborts that first, and the leave must still be confirmed.
    const signal = new AbortController().signal;
    await Promise.all([this.#main.leave(reason, timeout, signal), this.#leaveLobby(reason)]);
  }

  /** Leaves and disconnects. Idempotent; every step runs even if an earlier one failed. */
  close(reason?: string): Promise<void> {
    this.#closing ??= this.#shutdown(reason);
    return this.#closing;
  }

  async #shutdown(reason: string | undefined): Promise<void> {
    // Waits (join, lobby, focus request) end first so start()/joinLobby() return promptly.
    this.#abort.abort();
    this.#recovery.abort();
    this.#iqs.cancelAll(new SessionClosedError('close'));
    const client = this.#client;
    if (client) {
      try {
        if (client.status === 'online') await this.leave(reason);
      } catch (err) {
        this.#log.warn({ err }, 'leaving the room failed');
      }
      client.off('stanza', this.#onStanza);
      client.off('disconnect', this.#onDisconnect);
      try {
        await closeXmppClient(client);
      } catch (err) {
        this.#log.warn({ err }, 'closing the xmpp connection failed');
      }
    }
    this.#main.detach();
    this.#lobby?.room.detach();
    this.#lobby = undefined;
    this.#log.debug('conference session closed');
  }

  async #connect(): Promise<void> {
    const o = this.#opts;
    const client = await openConferenceConnection({
      ...{ service: o.service, login: o.login, allowPlain: o.allowPlain, resource: this.resource, timeoutMs: o.joinTimeoutMs },
      signal: this.#abort.signal,
      logger: this.#log,
      prepare: (c) => {
        this.#client = c;
        c.on('stanza', this.#onStanza);
        installIqRoutes(c, {
          focusOccupantJid: () => this.focusOccupantJid,
          focusJid: o.focusJid,
          onJingle: (iq) => this.#onJingle(iq),
          onMute: (muted, actor) => this.#onMute(muted, actor),
          // The meeting that dialled the call hangs it up from its own occupant JID (or the focus).
          onHangup: (from) => {
            const ok = fromMeetingOrFocus(from, this.roomJid, o.focusJid);
            if (ok) this.emit('hangupRequested', { from });
            return ok;
          },
          discoFeatures: () => discoFeaturesFor(o.discoFeatures ?? DEFAULT_DISCO_FEATURES, o.audioMuteFeature),
          logger: this.#log,
        });
      },
    });
    client.on('disconnect', this.#onDisconnect);
    this.#log.debug({ jid: client.jid?.toString() }, 'conference connection online');
  }

  #joinMain(): Promise<JoinOutcome> {
    this.#mainJoin ??= this.#doJoinMain().finally(() => {
      this.#mainJoin = undefined;
    });
    return this.#mainJoin;
  }

  async #doJoinMain(): Promise<JoinOutcome> {
    const presence = this.#presenceFor(this.#main, true);
    const outcome = await this.#main.join(presence, this.#opts.joinTimeoutMs, this.#abort.signal);
    this.#log.info({ outcome: outcome.kind, ...(outcome.kind === 'error' ? { condition: outcome.condition } : {}) }, 'room join');
    if (outcome.kind === 'lobby') this.#lobbyRoomJid = outcome.lobbyRoomJid;
    if (outcome.kind === 'joined' && this.#presence.status === undefined) {
      // jigasi re-sends its presence with this status right after entering.
      await this.setStatus(INITIAL_STATUS);
    }
    return outcome;
  }

  async #leaveLobby(reason?: string): Promise<void> {
    const lobby = this.#lobby;
    if (lobby) await lobby.leave(reason, () => this.#forgetLobby(lobby));
  }

  #forgetLobby(visit: LobbyVisit): void {
    if (this.#lobby === visit) this.#lobby = undefined;
  }

  #presenceFor(room: MucRoom, joining: boolean): Element {
    // The lobby gets no password: it belongs to the main room.
    const password = room === this.#main ? this.#password : undefined;
    return buildParticipantPresence(room.occupantJid, this.#presence, joining ? { password } : undefined);
  }

  async #update(change: Partial<ParticipantPresenceState>): Promise<void> {
    Object.assign(this.#presence, change);
    await this.#publish();
  }

  async #publish(): Promise<void> {
    if (this.#main.state !== 'joined') return;
    try {
      await this.#main.update(this.#presenceFor(this.#main, false));
    } catch (err) {
      this.#log.warn({ err }, 'presence update failed');
    }
  }

  async #send(stanza: Element): Promise<void> {
    const client = this.#client;
    if (!client) throw new SessionClosedError('send');
    await client.send(stanza);
  }

  async #onJingle(iq: Element): Promise<void> {
    const handler = this.#jingleHandler;
    if (!handler) throw new XmppStanzaError('service-unavailable', 'cancel', 'no jingle session yet');
    await handler(iq);
  }

  #onMute(muted: boolean, actor: string | undefined): void {
    this.#log.info({ muted, actor }, 'moderator mute request');
    // Only a mute is applied here; whether to unmute a caller is the call's policy (jigasi never does).
    if (muted && !this.#presence.audioMuted) {
      this.#presence.audioMuted = true;
      void this.#publish();
    }
    this.emit('muteRequested', { muted, actor });
  }

  readonly #onStanza = (stanza: Element): void => {
    try {
      if (this.#iqs.handleStanza(stanza)) return;
      if (stanza.is('presence')) this.#onPresence(stanza);
      else if (stanza.is('message')) this.#onMessage(stanza);
    } catch (err) {
      this.#log.error({ err }, 'handling an incoming stanza failed');
    }
  };

  #onPresence(stanza: Element): void {
    const p = parseMucPresence(stanza);
    if (!p) return;
    if (p.roomJid === this.#main.roomJid) this.#main.handlePresence(p, stanza);
    else if (this.#lobby && p.roomJid === this.#lobby.room.roomJid) this.#lobby.room.handlePresence(p, stanza);
  }

  #onMessage(stanza: Element): void {
    const moderation = this.#opts.avModerationJid === undefined ? undefined : parseAvModeration(stanza, this.#opts.avModerationJid);
    if (moderation !== undefined) {
      this.#log.info({ moderation }, 'AV moderation update');
      this.emit('avModeration', moderation);
      return;
    }
    if (!this.#lobby?.wait.waiting || !isInvitationFrom(stanza, this.roomJid)) return;
    this.#log.info('invited into the room from the lobby');
    this.#lobby.wait.admit();
  }

  readonly #onDisconnect = (): void => {
    if (this.#closing) return;
    if (this.#recovery.active) {
      // A failed attempt of the reconnect in progress, or a drop while rejoining: the loop goes
      // on, and whatever waited on the dead stream must not sit out its timeout.
      this.#iqs.cancelAll(new SessionClosedError('a lost connection'));
      if (this.#main.state === 'joining') this.#main.detach();
      return;
    }
    if (this.#recovery.start(this.#main.state === 'joined')) return;
    this.#log.warn('conference connection lost');
    this.#abort.abort();
    this.#dropRooms();
    this.emit('disconnected', { reason: 'connection-lost' });
  };

  /** Out of every room without telling them (the stream that held them is gone). */
  #dropRooms(): void {
    this.#iqs.cancelAll(new SessionClosedError('a lost connection'));
    this.#main.detach();
    this.#lobby?.room.detach();
  }

  #throwIfClosed(what: string): void {
    if (this.#closing || this.#abort.signal.aborted) throw new SessionClosedError(what);
  }
}
