import { parseAvModeration } from './av-moderation.js';
import type { Element } from '@xmpp/xml';
import type { Logger } from '../../log.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { closeXmppClient, XmppStanzaError, type Client } from '../connection.js';
import { DEFAULT_DISCO_FEATURES, discoFeaturesFor } from './disco-features.js';
import { JoinFailedError, SessionClosedError } from './errors.js';
import { requestConference, type FocusAnswer } from './focus-request.js';
import { installIqRoutes } from './iq-router.js';
import { bareJid, randomCallResource } from './jid.js';
import { isInvitationFrom, LobbyWait } from './lobby.js';
import { MucRoom } from './muc-room.js';
import { parseMucPresence } from './muc-presence.js';
import { FOCUS_NICK, NS } from './namespaces.js';
import { openConferenceConnection } from './open-connection.js';
import { canResume, reopenStream } from './reopen-stream.js';
import { rideThrough, type RideThroughPort } from './ride-through.js';
import { PendingIqs } from './pending-iqs.js';
import { buildParticipantPresence, type ParticipantPresenceState } from './presence-builder.js';
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
  #lobby: LobbyWait | undefined;
  /** Set while the connection is away and being re-established; aborted by close(). */
  #outage: AbortController | undefined;

  constructor(opts: ConferenceSessionOptions) {
    super();
    this.#opts = opts;
    this.resource = opts.resource ?? randomCallResource();
    this.roomJid = bareJid(opts.roomJid);
    this.#log = opts.logger.child({ room: this.roomJid, xmppResource: this.resource });
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'conference session listener failed'));
    this.#password = opts.roomPassword;
    this.#presence = {
      nick: opts.nick,
      direction: opts.direction,
      extraHeaders: { ...(opts.extraHeaders ?? {}) },
      audioMuteFeature: opts.audioMuteFeature,
      region: opts.region,
      statsId: opts.statsId,
      version: opts.version,
      audioMuted: false,
      status: undefined,
      raisedHand: null,
    };
    this.#main = new MucRoom(this.roomJid, this.resource, (s) => this.#send(s), this.#log);
    this.#main.on('occupantsChanged', (change) => this.emit('occupantsChanged', change));
    this.#main.on('kicked', (info) => {
      this.#log.info(info, 'removed from the conference room');
      // 333: removed because our session failed (Prosody sends it as it shuts down), not a kick.
      if (info.statusCodes.includes('333') && this.#rideThroughOutage(true)) return;
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
    if (outcome.kind === 'joined') this.#lobby?.admit();
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
    const room = new MucRoom(bareJid(lobbyJid), this.resource, (s) => this.#send(s), this.#log);
    const lobby = new LobbyWait(room);
    this.#lobby = lobby;
    const entered = await room.join(this.#presenceFor(room, true), this.#opts.joinTimeoutMs, this.#abort.signal);
    if (entered.kind !== 'joined') {
      // Closing: the shutdown still has to take us out of the lobby, so it stays routed.
      if (this.#abort.signal.aborted) return 'denied';
      this.#lobby = undefined;
      throw new JoinFailedError(entered);
    }
    this.#log.info({ lobby: room.roomJid }, 'waiting in the lobby');
    this.emit('lobbyJoined', { lobbyRoomJid: room.roomJid });
    const decision = await lobby.wait(this.#opts.lobbyTimeoutMs ?? DEFAULT_LOBBY_TIMEOUT_MS, this.#abort.signal);
    if (decision.kind === 'aborted') return 'denied';
    if (decision.kind === 'value' && decision.value === 'admitted') {
      const outcome = this.#main.state === 'joined' ? undefined : await this.#joinMain();
      if (this.#abort.signal.aborted) return 'denied';
      await this.#leaveLobby();
      if (outcome !== undefined && outcome.kind !== 'joined') throw new JoinFailedError(outcome);
      this.#log.info('admitted from the lobby');
      return 'admitted';
    }
    await this.#leaveLobby();
    const result = decision.kind === 'timeout' ? 'timeout' : 'denied';
    this.#log.info({ result }, 'lobby wait ended');
    return result;
  }

  async setStatus(text: string): Promise<void> {
    this.#presence.status = text;
    await this.#publish();
  }

  /** The name the meeting shows (Jitsi reads the presence's nick element; the occupant JID stays). */
  async setDisplayName(name: string): Promise<void> {
    this.#presence.nick = name;
    await this.#publish();
  }

  async setAudioMuted(muted: boolean): Promise<void> {
    this.#presence.audioMuted = muted;
    await this.#publish();
  }

  /** Raise-hand for AV moderation: a timestamp (ms) raises it, null lowers it. */
  async setRaisedHand(timestamp: number | null): Promise<void> {
    this.#presence.raisedHand = timestamp;
    await this.#publish();
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
    this.#outage?.abort();
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
    const client = await openConferenceConnection({
      service: this.#opts.service,
      login: this.#opts.login,
      allowPlain: this.#opts.allowPlain,
      resource: this.resource,
      timeoutMs: this.#opts.joinTimeoutMs,
      signal: this.#abort.signal,
      logger: this.#log,
      prepare: (c) => {
        this.#client = c;
        c.on('stanza', this.#onStanza);
        installIqRoutes(c, {
          focusOccupantJid: () => this.focusOccupantJid,
          focusJid: this.#opts.focusJid,
          onJingle: (iq) => this.#onJingle(iq),
          onMute: (muted, actor) => this.#onMute(muted, actor),
          // The meeting that dialled the call hangs it up from its own occupant JID (or the focus).
          onHangup: (from) => {
            const ok = from !== undefined && (from.startsWith(`${this.roomJid}/`) || from.split('/')[0] === this.#opts.focusJid.split('/')[0]);
            if (ok) this.emit('hangupRequested', { from });
            return ok;
          },
          discoFeatures: () =>
            discoFeaturesFor(this.#opts.discoFeatures ?? DEFAULT_DISCO_FEATURES, this.#opts.audioMuteFeature),
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
    if (!lobby) return;
    const timeout = this.#opts.leaveTimeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS;
    // Still routed to while leaving: the room's confirmation must reach it.
    await lobby.room.leave(reason, timeout, new AbortController().signal);
    if (this.#lobby === lobby) this.#lobby = undefined;
  }

  #presenceFor(room: MucRoom, joining: boolean): Element {
    // The lobby gets no password: it belongs to the main room.
    const password = room === this.#main ? this.#password : undefined;
    return buildParticipantPresence(room.occupantJid, this.#presence, joining ? { password } : undefined);
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
    if (!this.#lobby?.waiting || !isInvitationFrom(stanza, this.roomJid)) return;
    this.#log.info('invited into the room from the lobby');
    this.#lobby.admit();
  }

  readonly #onDisconnect = (): void => {
    if (this.#closing) return;
    if (this.#outage) {
      // A failed attempt of the reconnect in progress, or a drop while rejoining: the loop goes
      // on, and whatever waited on the dead stream must not sit out its timeout.
      this.#iqs.cancelAll(new SessionClosedError('a lost connection'));
      if (this.#main.state === 'joining') this.#main.detach();
      return;
    }
    if (this.#rideThroughOutage(this.#main.state === 'joined')) return;
    this.#log.warn('conference connection lost');
    this.#abort.abort();
    this.#dropRooms();
    this.emit('disconnected', { reason: 'connection-lost' });
  };

  /** Starts getting back into the room; false when this session does not (see reconnectWindowMs). */
  #rideThroughOutage(wasInRoom: boolean): boolean {
    const client = this.#client;
    const windowMs = this.#opts.reconnectWindowMs ?? 0;
    // Only a call settled in its room rides through; one still joining or in the lobby ends.
    if (this.#closing || client === undefined || windowMs <= 0 || !wasInRoom || this.#lobby !== undefined) return false;
    if (this.#outage) return true;
    this.#outage = new AbortController();
    void this.#rideThrough(client, windowMs, this.#outage.signal);
    return true;
  }

  async #rideThrough(client: Client, windowMs: number, signal: AbortSignal): Promise<void> {
    const resumable = canResume(client);
    this.#log.warn({ windowMs, resumable }, 'conference connection lost; reconnecting');
    this.emit('reconnecting', { resumable });
    const port: RideThroughPort = {
      online: () => client.status === 'online',
      reopen: (timeoutMs, s) => reopenStream(client, timeoutMs, s),
      roomLost: () => {
        this.#dropRooms();
        this.emit('roomLost');
      },
      focusReady: async (timeoutMs) => (await requestConference(this.#iqs, this.#opts.focusJid, this.roomJid, timeoutMs, this.#log))?.ready === true,
      rejoin: () => this.#joinMain(),
    };
    const result = await rideThrough(port, { windowMs, attemptTimeoutMs: this.#opts.joinTimeoutMs, signal, logger: this.#log });
    this.#outage = undefined;
    if (result.kind === 'failed') {
      this.#log.warn({ detail: result.detail }, 'conference reconnect failed');
      this.#abort.abort();
      this.#dropRooms();
      this.emit('disconnected', { reason: 'reconnect-failed', detail: result.detail });
    } else if (result.kind !== 'aborted') {
      this.emit('reconnected', { resumed: result.kind === 'resumed' });
    }
  }

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
