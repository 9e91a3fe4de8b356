/**
 * The narrow interface between a call and its media: what the call layer gives the media engine
 * (the caller's SDP, the bridge's Jingle transport and sources) and what it gets back (SDP and
 * Jingle answer data, events). Implemented by src/media/engine (in-process) and
 * src/media/worker (the same engine in worker threads); faked in call-layer tests.
 */
import type { TypedEmitter } from '../util/typed-emitter.js';
import type { BridgeFailureReason } from './bridge/errors.js';
import type { CallerCodecName } from './caller/sdp-types.js';
import type { CallerInteraction, IceCandidate, NegotiatedAudio } from './media-vocabulary.js';

/** The bridge's side, read from Jicofo's session-initiate / transport-info. */
export interface BridgeRemote {
  ufrag: string;
  pwd: string;
  candidates: readonly IceCandidate[];
  fingerprints: ReadonlyArray<{ hash: string; value: string }>;
}

/** Our side for the Jingle answer (transport-info + session-accept). */
export interface BridgeLocal {
  ufrag: string;
  pwd: string;
  candidates: IceCandidate[];
  fingerprint: { hash: string; value: string };
  ssrc: number;
  cname: string;
  msid: string;
}

export interface RemoteAudioSource {
  ssrc: number;
  /** Endpoint id from ssrc-info; 'jvb' for the bridge's own. */
  owner?: string | undefined;
}

/**
 * A call's counters. Plain data only: media in a worker thread pushes them to the main thread a
 * few times a second (structured clone). The optional fields are absent until measured.
 */
export interface CallMediaStats {
  caller: {
    packetsReceived: number;
    packetsLost: number;
    packetsSent: number;
    jitterMs: number;
    codec?: string;
    latchedTo?: string;
    /** The SDES-SRTP suite, when the caller's RTP is encrypted. */
    srtp?: string;
    /** SRTP packets dropped: failed authentication (tampered, wrong key) or replayed. */
    srtpDropped?: number;
    /** Frames of the caller's audio noise suppression has run on, when the call has it. */
    denoisedFrames?: number;
    /** Round trip to the phone from its RTCP reports (LSR/DLSR): latest, and sum and count of every sample. */
    rttMs?: number;
    rttMsSum?: number;
    rttSamples?: number;
    /** The phone's own view of the audio we send it (its report blocks about our SSRC). */
    remotePacketsLost?: number;
    remoteJitterMs?: number;
  };
  bridge: {
    packetsReceived: number;
    packetsLost: number;
    packetsSent: number;
    srtpFailures: number;
    connected: boolean;
    /** Largest interarrival jitter of the streams the bridge sends us, ms. */
    jitterMs?: number;
    /** Round trip to the bridge from its receiver reports (LSR/DLSR): latest, and sum and count of every sample. */
    rttMs?: number;
    rttMsSum?: number;
    rttSamples?: number;
    /** The bridge's own view of the audio we send it (its report blocks about our SSRC). */
    remotePacketsLost?: number;
    remoteJitterMs?: number;
  };
}

export type CallMediaEvents = {
  /** ICE + DTLS with the bridge are up; media can flow. */
  bridgeConnected: [];
  /** The bridge transport failed (ICE, DTLS or consent) and will not recover by itself. */
  bridgeFailed: [reason: BridgeFailureReason];
  /** Connected, but no audio from the bridge for the configured time. */
  bridgeMediaTimeout: [];
  /** No RTP from the caller for the configured time. */
  callerMediaTimeout: [];
  /** RTP from the caller is flowing again after a timeout. */
  callerMediaResumed: [];
  /**
   * The caller-side media resource is gone for good (FreeSWITCH hung its channel up or the
   * connection to FreeSWITCH was lost); the call cannot go on.
   */
  callerMediaFailed: [reason: string];
  /** The call's media is gone for good (the media worker running it died); the call cannot go on. */
  mediaLost: [reason: string];
  /** A digit the caller pressed (RFC 4733 on the caller's RTP). */
  callerDtmf: [digit: string];
  /** A digit a web participant sent (RFC 4733 from the bridge), for the caller. */
  bridgeDtmf: [digit: string];
};

export interface CallMedia extends TypedEmitter<CallMediaEvents>, CallerInteraction {
  // ---- caller side ------------------------------------------------------------------------------
  /**
   * Answers the caller's SDP offer; throws (or rejects with) SdpNegotiationError (488) when it
   * can't. The engine answers at once; FreeSWITCH mode has to ask FreeSWITCH, hence the promise.
   */
  answerCaller(offerSdp: string): string | Promise<string>;
  /**
   * Our SDP offer toward the caller (late-offer INVITE, dial-out). `codecs` restricts it, and the
   * answer accepted, to exactly those codecs in that order (FreeSWITCH mode's engine leg).
   */
  offerToCaller(codecs?: readonly CallerCodecName[]): string | Promise<string>;
  /** The caller's answer to offerToCaller(); throws SdpNegotiationError. */
  acceptCallerAnswer(answerSdp: string): void | Promise<void>;
  /** Whether the caller negotiated RFC 4733; if not, DTMF toward the caller goes by SIP INFO. */
  readonly callerHasTelephoneEvent: boolean;

  // ---- bridge side ------------------------------------------------------------------------------
  /**
   * Our ICE credentials, candidates, fingerprint and SSRC for the Jingle answer; after
   * restartBridge() the new credentials. A promise when the media lives in a worker thread.
   */
  bridgeLocal(): BridgeLocal | Promise<BridgeLocal>;
  /**
   * Resolves once bridgeLocal() can answer: right after disconnectBridge() the transport for the
   * next session is still being set up (a socket to bind) for a moment.
   */
  bridgeReady(): Promise<void>;
  /**
   * Starts ICE/DTLS toward the bridge and joins the room's mixer (callers of one room share the
   * decoding of its remote streams); resolves when connected.
   */
  connectBridge(roomJid: string, remote: BridgeRemote, audio: NegotiatedAudio, sources: readonly RemoteAudioSource[]): Promise<void>;
  addBridgeCandidates(candidates: readonly IceCandidate[]): void;
  /**
   * New ufrag/pwd from transport-info / transport-replace: ICE restart. New local credentials
   * exist as soon as this is called (bridgeLocal() returns them at once, for the Jingle answer);
   * the promise resolves when media flows again.
   */
  restartBridge(remote: BridgeRemote): Promise<void>;
  /** Tears down the bridge transport but keeps the caller leg (session-terminate, resume window). */
  disconnectBridge(): void;
  setRemoteSources(sources: readonly RemoteAudioSource[]): void;

  // ---- control ----------------------------------------------------------------------------------
  /** Moderator mute: stop sending the caller's audio to the bridge. */
  setMuted(muted: boolean): void;
  /** A digit the caller sent by SIP INFO, for the digit collector (PIN prompt). */
  pushCallerDigit(digit: string): void;
  /** Stops a prompt being played (play() then resolves at once). */
  stopPrompt(): void;
  /** Sends a digit to the caller by RFC 4733 (requires callerHasTelephoneEvent). */
  sendDtmfToCaller(digit: string): void;
  stats(): CallMediaStats;
  /** The media worker thread running this call, when media runs in worker threads. */
  readonly workerIndex?: number | undefined;
  /** Frees sockets, ports and codec state; idempotent. */
  close(): Promise<void>;
}

export interface CallMediaOptions {
  callId: string;
  /**
   * The room the call is for, when already known: with media in worker threads, the callers of
   * one room share a worker (and its decodes). A PIN caller's room is known only later.
   */
  roomJid?: string;
  /** Noise suppression on the caller's audio for this call; the engine's default when absent. */
  noiseSuppression?: boolean;
}

/** Process-wide media: port range, rooms, the 20 ms clock. */
export interface MediaEngine {
  createCallMedia(opts: CallMediaOptions): Promise<CallMedia>;
  readonly activeCalls: number;
  close(): Promise<void>;
}
