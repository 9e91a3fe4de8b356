import type { Element } from '@xmpp/xml';
import type { Logger } from '../../log.js';
import type { JingleError } from './errors.js';
import type { NegotiatedAudio } from './negotiate.js';
import type { RemoteSource } from './remote-sources.js';
import type { IceCandidate, IceTransport, JingleContent, JingleReason, SessionInitiate } from './types.js';

/**
 * idle → pending (session-initiate received) → active (we accepted) → terminated (we ended it).
 * A session-terminate from the focus leads to `resumable`: the call survives and a new
 * session-initiate (new sid) starts over at pending.
 */
export type JingleSessionState = 'idle' | 'pending' | 'active' | 'resumable' | 'terminated';

export interface InitiateEvent {
  sid: string;
  initiator?: string;
  /** The offered audio content (transport included). */
  content: JingleContent;
  negotiated: NegotiatedAudio;
  /** Content names in the BUNDLE group. */
  bundle: string[];
  sources: RemoteSource[];
  /** True when this initiate follows a remote session-terminate. */
  resumed: boolean;
  action: SessionInitiate;
}

export interface TransportInfoEvent {
  contentName: string;
  ufrag?: string;
  pwd?: string;
  candidates: IceCandidate[];
  /** New ufrag/pwd: the remote side restarted ICE. */
  iceRestart: boolean;
}

export interface TransportReplaceEvent {
  content: JingleContent;
  transport?: IceTransport;
  negotiated: NegotiatedAudio;
  bundle: string[];
}

export interface TerminatedEvent {
  sid: string;
  reason: JingleReason;
  by: 'remote';
}

export type JingleSessionEvents = {
  initiate: [InitiateEvent];
  sourcesAdded: [RemoteSource[]];
  sourcesRemoved: [RemoteSource[]];
  transportInfo: [TransportInfoEvent];
  transportReplace: [TransportReplaceEvent];
  terminated: [TerminatedEvent];
  /**
   * A session-initiate the gateway cannot take (no usable codec, or unreadable): the call cannot
   * get its media, so its owner ends it at once rather than leave the phone ringing.
   */
  offerRefused: [JingleError];
};

/** The gateway's side of the media, as the media engine produced it. */
export interface LocalTransport {
  ufrag: string;
  pwd: string;
  candidates: readonly IceCandidate[];
  /** Our certificate's fingerprint; we are always the DTLS client, so setup is sent as 'active'. */
  fingerprint: { hash: string; value: string };
}

export interface LocalMedia extends LocalTransport {
  ssrc: number;
  cname: string;
  /** 'stream track'. */
  msid: string;
  sourceName?: string;
}

export interface JingleSessionOptions {
  /** Our occupant JID in the room; the session-accept `responder`. */
  localJid: string;
  /** The focus occupant (`room@muc/focus`); every IQ goes there. */
  focusJid: string;
  /** Sends one IQ; resolves when it was sent (or answered). */
  send: (iq: Element) => Promise<void>;
  logger: Logger;
}
