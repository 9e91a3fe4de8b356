/**
 * Typed view of the Jingle stanzas exchanged with Jicofo. Field names follow SDP terms where Jingle
 * and SDP agree, so jingle↔sdp conversion stays a mapping and not a translation.
 */

import type { IceCandidate } from '../../media/media-vocabulary.js';

export type { CandidateType, IceCandidate, TcpType } from '../../media/media-vocabulary.js';

export interface RtcpFeedback {
  type: string;
  subtype?: string;
}

export interface PayloadType {
  /** RTP payload type number (0-127). */
  id: number;
  name: string;
  clockRate: number;
  /** 1 when the stanza has no `channels` attribute (XEP-0167 default). */
  channels: number;
  /** fmtp parameters in wire order; a nameless parameter (telephone-event "0-15") has key "". */
  parameters: Record<string, string>;
  rtcpFbs: RtcpFeedback[];
  ptime?: number;
  maxptime?: number;
}

export interface HeaderExtension {
  id: number;
  uri: string;
  /** XEP-0294 `senders`, absent means both. */
  senders?: string;
}


export type DtlsSetup = 'actpass' | 'active' | 'passive';

export interface DtlsFingerprint {
  /** Hash function name as on the wire, e.g. 'sha-256'. */
  hash: string;
  setup: DtlsSetup;
  /** Colon-separated hex, e.g. 'AB:CD:…'. */
  value: string;
  required?: boolean;
}

export interface IceTransport {
  ufrag?: string;
  pwd?: string;
  candidates: IceCandidate[];
  fingerprints: DtlsFingerprint[];
  /** `<rtcp-mux/>` inside the transport element. */
  rtcpMux: boolean;
}

export interface JingleSource {
  /** Unsigned 32-bit SSRC. */
  ssrc: number;
  /** Endpoint id from `<ssrc-info owner>`; 'jvb' for the bridge's own sources. */
  owner?: string;
  /** Source name attribute (e.g. 'abcd1234-a0'). */
  name?: string;
  /** The `msid` parameter, 'stream track'. */
  msid?: string;
  videoType?: string;
  /** Every `<parameter>` of the source (cname, msid, label, …) in wire order. */
  parameters: Record<string, string>;
}

export interface SsrcGroup {
  semantics: string;
  ssrcs: number[];
}

export type ContentCreator = 'initiator' | 'responder';
export type ContentSenders = 'both' | 'initiator' | 'responder' | 'none';

export interface JingleContent {
  name: string;
  /** 'initiator' when absent (Jicofo omits it in source-add). */
  creator: ContentCreator;
  /** 'both' when absent (XEP-0166 default). */
  senders: ContentSenders;
  /** `<description media>`; undefined when the content carries no RTP description (transport-info). */
  media?: string;
  maxptime?: number;
  payloadTypes: PayloadType[];
  headerExtensions: HeaderExtension[];
  extmapAllowMixed: boolean;
  sources: JingleSource[];
  ssrcGroups: SsrcGroup[];
  /** undefined when the content has no ICE-UDP `<transport>` (source-add). */
  transport?: IceTransport;
  /** `<rtcp-mux/>` in the RTP description. */
  rtcpMux: boolean;
}

export interface ContentGroup {
  semantics: string;
  /** Names of the grouped contents. */
  contents: string[];
}

export interface JingleReason {
  /** The condition element's name: 'success', 'gone', 'failed-transport', … */
  condition: string;
  text?: string;
}

/** `<bridge-session xmlns="http://jitsi.org/protocol/focus">`; parsed, not acted upon. */
export interface BridgeSession {
  id: string;
  region?: string;
  restart?: boolean;
}

/** `<startmuted xmlns="http://jitsi.org/jitmeet/start-muted">`; parsed, not acted upon. */
export interface StartMuted {
  audio: boolean;
  video: boolean;
}

interface JingleActionBase {
  sid: string;
  initiator?: string;
  responder?: string;
  contents: JingleContent[];
  groups: ContentGroup[];
  reason?: JingleReason;
  bridgeSession?: BridgeSession;
  startMuted?: StartMuted;
}

export interface SessionInitiate extends JingleActionBase {
  action: 'session-initiate';
}
export interface SessionAccept extends JingleActionBase {
  action: 'session-accept';
}
export interface SourceAdd extends JingleActionBase {
  action: 'source-add';
}
export interface SourceRemove extends JingleActionBase {
  action: 'source-remove';
}
export interface TransportInfo extends JingleActionBase {
  action: 'transport-info';
}
export interface TransportReplace extends JingleActionBase {
  action: 'transport-replace';
}
export interface TransportAccept extends JingleActionBase {
  action: 'transport-accept';
}
export interface SessionTerminate extends JingleActionBase {
  action: 'session-terminate';
}
export interface ContentModify extends JingleActionBase {
  action: 'content-modify';
}
/** Any action this module has no dedicated type for; `name` is the wire value. */
export interface OtherJingleAction extends JingleActionBase {
  action: 'other';
  name: string;
}

export type JingleAction =
  | SessionInitiate
  | SessionAccept
  | SourceAdd
  | SourceRemove
  | TransportInfo
  | TransportReplace
  | TransportAccept
  | SessionTerminate
  | ContentModify
  | OtherJingleAction;

export type JingleActionName = Exclude<JingleAction['action'], 'other'>;

export const KNOWN_ACTIONS: readonly JingleActionName[] = [
  'session-initiate',
  'session-accept',
  'source-add',
  'source-remove',
  'transport-info',
  'transport-replace',
  'transport-accept',
  'session-terminate',
  'content-modify',
];

/** Content names of the first BUNDLE group, or [] when there is none. */
export function bundleOf(groups: readonly ContentGroup[]): string[] {
  const g = groups.find((x) => x.semantics.toUpperCase() === 'BUNDLE');
  return g ? [...g.contents] : [];
}
