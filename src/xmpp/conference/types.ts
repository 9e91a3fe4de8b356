import type { AvModerationUpdate } from './av-moderation.js';
import type { Logger } from '../../log.js';

export type CallDirection = 'in' | 'out';

export type ConferenceLogin =
  | { mode: 'anonymous'; domain: string }
  | { mode: 'password'; domain: string; username: string; password: string };

export interface ConferenceSessionOptions {
  /** 'xmpp://host:port' of the deployment's Prosody. */
  service: string;
  login: ConferenceLogin;
  allowPlain: boolean;
  /** Where the conference IQ goes: `focus.<domain>` in a deployment, the fake focus' full JID in tests. */
  focusJid: string;
  /** Bare JID of the conference room, e.g. 'room@muc.meet.jitsi'. */
  roomJid: string;
  roomPassword?: string;
  /** Shown to the meeting: SIP display name, else the number. */
  nick: string;
  /** MUC nick and XMPP resource; 8 random hex digits (as jigasi) when absent. */
  resource?: string;
  direction: CallDirection;
  /** Extra `<header name value>` in `<initiator>` after JigasiCallDirection (dial-out Rayo headers). */
  extraHeaders?: Record<string, string>;
  /** Advertise http://jitsi.org/protocol/audio-mute (jigasi's ENABLE_SIP_STARTMUTED). */
  audioMuteFeature: boolean;
  region?: string;
  statsId?: string;
  /** Published as `<stat name="version">` in presence, like jigasi. */
  version: string;
  /** Bound on connecting, on the MUC join and (unless focusTimeoutMs) on the focus' answer. */
  joinTimeoutMs: number;
  /** Bound on the conference IQ answer; jigasi waits for it before joining. Default joinTimeoutMs. */
  focusTimeoutMs?: number;
  /** How long joinLobby() waits for a decision. Default 5 minutes. */
  lobbyTimeoutMs?: number;
  /** How long leave() waits for the room to confirm. Default 2000 ms. */
  leaveTimeoutMs?: number;
  /** Bound on IQs sent with sendIq(). Default 10000 ms. */
  iqTimeoutMs?: number;
  /**
   * After the connection drops while in the room, how long to keep trying to get back (stream
   * resumption, else a new login, the conference IQ and a rejoin with the same nick) before
   * 'disconnected'. 0 (the default) gives up at once.
   */
  reconnectWindowMs?: number;
  /**
   * disco#info features answered to Jicofo, which decides the offer from them (contract §2);
   * default DEFAULT_DISCO_FEATURES (+ audio-mute when enabled). Advertise only what is implemented.
   */
  discoFeatures?: readonly string[];
  /** Bare JID of the av_moderation component whose messages are believed (`avmoderation.<domain>`). */
  avModerationJid?: string;
  logger: Logger;
}

export interface Occupant {
  /** Occupant JID, room@muc/nick. */
  jid: string;
  nick: string;
  /** Real JID, when the room shows it to us. */
  realJid?: string;
  role: string;
  affiliation: string;
  /** The presence's `<nick xmlns="http://jabber.org/protocol/nick">`, a participant's display name. */
  displayName?: string;
}

export type JoinOutcome =
  | { kind: 'joined'; occupants: Occupant[] }
  | { kind: 'lobby'; lobbyRoomJid: string }
  | { kind: 'password-required' }
  | { kind: 'room-full' }
  | { kind: 'banned' }
  | { kind: 'error'; condition: string; text: string | undefined };

export type LobbyResult = 'admitted' | 'denied' | 'timeout';

export interface RemovalInfo {
  actor?: string;
  reason?: string;
  /** MUC status codes of the removal (307 kick, 301 ban, 321/322 membership). */
  statusCodes: string[];
}

export interface ConferenceSessionEvents extends Record<string, unknown[]> {
  /** Moderator (un)mute from the focus. For muted=false nothing changes by itself: the caller decides. */
  muteRequested: [{ muted: boolean; actor: string | undefined }];
  /** In the lobby room, waiting for a moderator (an IVR tells the caller: SIP INFO t=3). */
  lobbyJoined: [{ lobbyRoomJid: string }];
  /** Removed from the room by someone else (kick, ban, membership revoked). */
  kicked: [RemovalInfo];
  roomDestroyed: [{ reason?: string; alternateRoom?: string }];
  /** Occupants of the main room other than ourselves (the focus included). */
  occupantsChanged: [{ count: number; joined?: Occupant; left?: Occupant }];
  /** AV moderation of audio switched on/off, or this participant approved/unapproved. */
  avModeration: [AvModerationUpdate];
  /** Rayo `<hangup/>` from the meeting (dial-out calls). */
  hangupRequested: [{ from: string }];
  /**
   * The connection dropped while in the room; the session is getting back (reconnectWindowMs).
   * `resumable`: the server offered stream resumption, so the room and the Jingle session may
   * survive; 'roomLost' follows when they did not.
   */
  reconnecting: [{ resumable: boolean }];
  /** The old stream is gone for good, and our place in the room and the Jingle session with it. */
  roomLost: [];
  /** Back: the stream resumed (nothing was lost), or a new login rejoined the room with the same nick. */
  reconnected: [{ resumed: boolean }];
  /**
   * The XMPP connection is gone for good without close(): lost where the session cannot ride
   * through (not in the room yet, no reconnect window), or not back within the window.
   */
  disconnected: [{ reason: 'connection-lost' | 'reconnect-failed'; detail?: string }];
}
