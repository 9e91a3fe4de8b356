/**
 * The words the media domain shares with signalling: what Jingle tells the media engine about
 * the bridge (candidates, the negotiated audio) and what the PIN flow asks of a caller's media
 * (prompts, digits). They live here, on the media side of the line, so that everything media
 * imports is media, the same line the worker-thread boundary follows; XMPP and SIP import them
 * from here.
 */

export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';
export type TcpType = 'active' | 'passive' | 'so';

/** An ICE candidate as XEP-0176 carries it. */
export interface IceCandidate {
  foundation: string;
  component: number;
  /** 'udp' or 'tcp' (lower case as on the wire). */
  protocol: string;
  priority: number;
  ip: string;
  port: number;
  type: CandidateType;
  relAddr?: string;
  relPort?: number;
  /** 0 when absent. */
  generation: number;
  network?: number;
  id?: string;
  tcpType?: TcpType;
}

/** What the focus's offer and our answer settled for the bridge's audio. */
export interface NegotiatedAudio {
  /** The content name, also the BUNDLE mid. */
  mid: string;
  opusPt: number;
  /** fmtp parameters the focus offered for opus (minptime, useinbandfec, …). */
  opusParameters: Record<string, string>;
  telephoneEventPt?: number;
  audioLevelExtId?: number;
  midExtId?: number;
}

export type PromptName =
  | 'enter-pin'
  | 'wrong-pin'
  | 'goodbye'
  | 'please-wait'
  | 'lobby-wait'
  | 'lobby-denied'
  | 'wrong-password'
  | 'room-full'
  | 'error'
  | 'reconnecting';

export interface DigitCollectOptions {
  maxDigits: number;
  /** Digit that ends input early, normally '#'. */
  terminator: string;
  /** Time allowed for the first digit, ms. */
  firstDigitTimeoutMs: number;
  /** Time allowed between digits, ms. */
  interDigitTimeoutMs: number;
}

/**
 * What the PIN flow needs from the caller's media, in either media mode: the engine's prompt
 * player and digit collector (direct), or FreeSWITCH's play/playCollect (freeswitch).
 */
export interface CallerInteraction {
  play(prompt: PromptName): Promise<void>;
  /** Plays the prompt (interruptible by a digit) and collects digits; '' on timeout. */
  playAndCollect(prompt: PromptName, opts: DigitCollectOptions): Promise<string>;
}
