import { isIPv4 } from 'node:net';
import sdpTransform from 'sdp-transform';
import type { MediaDescription as MediaAttributes, SessionDescription } from 'sdp-transform';
import type { CodecName } from '../codecs/codec.js';
import { cryptoAttribute, SDES_SUITES, usableKeys, type CallerSrtpPolicy } from './sdes.js';
import type { CallerCodecChoice, CallerCodecName, CallerMediaParams, MediaDirection, NegotiatedSrtp } from './sdp-types.js';

/** Failure to agree on caller media; the SIP layer answers it with `sipStatus` (488). */
export class SdpNegotiationError extends Error {
  readonly sipStatus = 488;
  readonly metricLabel = 'caller_error';
  constructor(message: string) {
    super(message);
    this.name = 'SdpNegotiationError';
  }
}

interface CodecSpec {
  name: CallerCodecName;
  /** SDP encoding name (compared case-insensitively) and the codec createCodec() builds. */
  encoding: CodecName;
  /** RFC 3551 static payload type, recognised in offers that carry no rtpmap for it. */
  staticPt: number | undefined;
  /** Payload type of our own offers: the static one, or a fixed dynamic one. */
  offerPt: number;
  rtpClockRate: number;
  sampleRate: number;
  channels: number;
}

// Our dynamic payload types (this one, and opus's and L16's offerPt below) are fixed and distinct,
// so every offer we make uses the same number for the same format.
const TELEPHONE_EVENT_PT = 101;

const CODECS: Record<CallerCodecName, CodecSpec> = {
  PCMU: { name: 'PCMU', encoding: 'PCMU', staticPt: 0, offerPt: 0, rtpClockRate: 8000, sampleRate: 8000, channels: 1 },
  PCMA: { name: 'PCMA', encoding: 'PCMA', staticPt: 8, offerPt: 8, rtpClockRate: 8000, sampleRate: 8000, channels: 1 },
  // RFC 3551: G.722 samples at 16 kHz but its RTP clock is 8000 for historical reasons.
  G722: { name: 'G722', encoding: 'G722', staticPt: 9, offerPt: 9, rtpClockRate: 8000, sampleRate: 16000, channels: 1 },
  // Opus on the caller side is decoded/encoded at 16 kHz; its RTP clock is always 48000.
  opus: { name: 'opus', encoding: 'opus', staticPt: undefined, offerPt: 111, rtpClockRate: 48000, sampleRate: 16000, channels: 2 },
  // L16's static types (10, 11) are 44.1 kHz; at 8 and 16 kHz it always needs a dynamic one.
  L16: { name: 'L16', encoding: 'L16', staticPt: undefined, offerPt: 118, rtpClockRate: 8000, sampleRate: 8000, channels: 1 },
  'L16-16k': { name: 'L16-16k', encoding: 'L16', staticPt: undefined, offerPt: 119, rtpClockRate: 16000, sampleRate: 16000, channels: 1 },
};

/** What we accept and offer unless told otherwise; L16 is for FreeSWITCH and only when asked for. */
export const DEFAULT_CALLER_CODECS: readonly CallerCodecName[] = ['G722', 'PCMU', 'PCMA', 'opus'];

export interface LocalMedia {
  address: string;
  port: number;
  /** Codecs we accept, in our order of preference (used when we make the offer). */
  codecs?: readonly CallerCodecName[];
  sessionId: string;
  sessionVersion: number;
  /** CALLER_SRTP and the key we send with; absent: plain RTP only ('off'). */
  srtp?: LocalSrtp;
  /** Our RTCP port when we have one; written as a=rtcp (RFC 3605) unless it is port + 1. */
  rtcpPort?: number;
}

export interface LocalSrtp {
  policy: CallerSrtpPolicy;
  /** Our master key ‖ salt (30 bytes), the same in every offer and answer of the endpoint. */
  key: Buffer;
}

function parseSdp(text: string): SessionDescription {
  if (text.trim() === '') throw new SdpNegotiationError('empty SDP');
  if (!/^v=0\r?$/m.test(text)) throw new SdpNegotiationError('malformed SDP: no v=0 line');
  try {
    return sdpTransform.parse(text);
  } catch (err) {
    throw new SdpNegotiationError(`malformed SDP: ${(err as Error).message}`);
  }
}

function pickAudio(sdp: SessionDescription, policy: CallerSrtpPolicy): MediaAttributes {
  const audio = sdp.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (audio === undefined) throw new SdpNegotiationError('no active audio stream in SDP');
  if (!/^RTP\/S?AVPF?$/.test(audio.protocol)) {
    throw new SdpNegotiationError(`unsupported audio transport '${audio.protocol}' (RTP/AVP or RTP/SAVP expected)`);
  }
  if (isSecureProfile(audio.protocol) && policy === 'off') {
    throw new SdpNegotiationError(`unsupported audio transport '${audio.protocol}' (SRTP is off here: plain RTP/AVP expected)`);
  }
  // sdp-transform keeps a port that is no number ('') as text, and does not bound it.
  const port: unknown = audio.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SdpNegotiationError(`malformed SDP: audio port '${String(port)}' is not 1-65535`);
  }
  return audio;
}

function offeredPts(m: MediaAttributes): number[] {
  const pts = String(m.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((s) => s !== '')
    .map(Number);
  if (pts.length === 0 || pts.some((p) => !Number.isInteger(p) || p < 0 || p > 127)) {
    throw new SdpNegotiationError(`malformed SDP: bad payload list '${String(m.payloads)}'`);
  }
  return pts;
}

/** sdp-transform keeps what is not a number as text ('a=rtpmap: telephone-event/8000' gives ''). */
function isPayloadType(pt: unknown): pt is number {
  return typeof pt === 'number' && Number.isInteger(pt) && pt >= 0 && pt <= 127;
}

function codecOfPt(m: MediaAttributes, pt: number): { name: string; rate: number; channels: number } | undefined {
  const rtp = m.rtp.find((r) => r.payload === pt);
  // String(): sdp-transform turns an all-digit encoding name ('a=rtpmap:9 0/8000') into a number.
  if (rtp !== undefined) return { name: String(rtp.codec), rate: rtp.rate ?? 8000, channels: rtp.encoding ?? 1 };
  const spec = Object.values(CODECS).find((c) => c.staticPt === pt);
  return spec === undefined ? undefined : { name: spec.encoding, rate: spec.rtpClockRate, channels: 1 };
}

/**
 * The allowed codec with this encoding name and clock rate. A channel count above 1 must be ours
 * too (stereo L16 or G.711 would be decoded as garbage); a missing one means 1 and is let
 * through for Opus, whose rtpmap should say /2 but is not always written so.
 */
function matchCodec(name: string, rate: number, channels: number, allowed: readonly CallerCodecName[]): CodecSpec | undefined {
  const lower = name.toLowerCase();
  return allowed
    .map((n) => CODECS[n])
    .find((c) => c.encoding.toLowerCase() === lower && c.rtpClockRate === rate && (channels === 1 || channels === c.channels));
}

function directionOf(sdp: SessionDescription, m: MediaAttributes, address: string): MediaDirection {
  // RFC 2543 hold: a connection address of 0.0.0.0 means "don't send to me".
  if (address === '0.0.0.0') return 'sendonly';
  return (m.direction ?? sdp.direction ?? 'sendrecv') as MediaDirection;
}

function reverse(d: MediaDirection): MediaDirection {
  return d === 'sendonly' ? 'recvonly' : d === 'recvonly' ? 'sendonly' : d;
}

function connectionAddress(sdp: SessionDescription, m: MediaAttributes): string {
  const c = m.connection ?? sdp.connection;
  if (c === undefined) throw new SdpNegotiationError('malformed SDP: no c= line');
  if (c.version !== 4) throw new SdpNegotiationError('only IPv4 media addresses are supported');
  // sdp-transform hands an all-digit address over as a number; what is not a dotted IPv4 literal
  // (empty, a number, a host name) would send our RTP somewhere nobody asked for.
  const ip = String(c.ip).split('/')[0] ?? '';
  if (!isIPv4(ip)) throw new SdpNegotiationError(`malformed SDP: c= address '${String(c.ip)}' is not an IPv4 address`);
  return ip;
}

function telephoneEventPt(m: MediaAttributes, rate: number): number | undefined {
  const te = m.rtp.filter((r) => String(r.codec).toLowerCase() === 'telephone-event' && isPayloadType(r.payload));
  return (te.find((r) => (r.rate ?? 8000) === rate) ?? te[0])?.payload;
}

function isSecureProfile(protocol: string): boolean {
  return protocol.startsWith('RTP/SAVP');
}

/** Tags of the a=crypto lines of our own offers: one per suite, in SDES_SUITES order. */
function offerTag(index: number): number {
  return index + 1;
}

/**
 * The SRTP an offer or answer asks for, under our policy. An offer gets its first usable key (the
 * offerer's preference); an answer must pick one of the lines we offered. A secure profile
 * (RTP/SAVP) without a usable key is refused; so is plain RTP when the policy requires SRTP. A key
 * on a plain RTP/AVP line (best-effort SRTP, as many phones and PBXs offer it) is taken unless the
 * policy is off.
 */
function readSrtp(m: MediaAttributes, policy: CallerSrtpPolicy, role: 'offer' | 'answer'): NegotiatedSrtp | undefined {
  const secure = isSecureProfile(m.protocol);
  if (policy === 'off') return undefined;
  const keys = usableKeys(m.crypto);
  const key =
    role === 'offer'
      ? keys[0]
      : keys.find((k) => {
          const i = SDES_SUITES.indexOf(k.suite);
          return i >= 0 && offerTag(i) === k.tag;
        });
  if (key === undefined) {
    if (secure || policy === 'required') {
      const what = (m.crypto ?? []).length === 0 ? 'no a=crypto' : `no usable a=crypto (supported: ${SDES_SUITES.join(', ')}, one inline key, no MKI)`;
      throw new SdpNegotiationError(policy === 'required' && !secure && (m.crypto ?? []).length === 0 ? 'SRTP is required: plain RTP refused' : `SRTP: ${what}`);
    }
    return undefined;
  }
  return { suite: key.suite, tag: key.tag, remoteKey: key.keySalt };
}

/** Reads the media parameters out of the caller's SDP (an offer or an answer to our offer). */
function readRemote(text: string, allowed: readonly CallerCodecName[], policy: CallerSrtpPolicy, role: 'offer' | 'answer'): CallerMediaParams {
  const sdp = parseSdp(text);
  const m = pickAudio(sdp, policy);
  const srtp = readSrtp(m, policy, role);
  const address = connectionAddress(sdp, m);
  let codec: CallerCodecChoice | undefined;
  for (const pt of offeredPts(m)) {
    const c = codecOfPt(m, pt);
    const spec = c === undefined ? undefined : matchCodec(c.name, c.rate, c.channels, allowed);
    if (spec !== undefined) {
      const fmtp = m.fmtp.find((f) => f.payload === pt)?.config;
      codec = {
        name: spec.name,
        encoding: spec.encoding,
        payloadType: pt,
        rtpClockRate: spec.rtpClockRate,
        sampleRate: spec.sampleRate,
        channels: spec.channels,
        ...(fmtp !== undefined ? { fmtp } : {}),
      };
      break;
    }
  }
  if (codec === undefined) {
    const names = offeredPts(m).map((pt) => {
      const c = codecOfPt(m, pt);
      return c === undefined ? String(pt) : `${c.name}/${c.rate}`;
    });
    throw new SdpNegotiationError(`no common codec: offered ${names.join(', ')}; supported ${allowed.join(', ')}`);
  }
  return {
    codec,
    telephoneEventPt: telephoneEventPt(m, codec.rtpClockRate),
    remoteAddress: address,
    remotePort: m.port,
    direction: reverse(directionOf(sdp, m, address)),
    ptime: typeof m.ptime === 'number' && m.ptime > 0 ? m.ptime : 20,
    // An answer may only multiplex what its offer did; our offers never ask for it.
    rtcpMux: role === 'offer' && m.rtcpMux !== undefined,
    ...(m.rtcp !== undefined && m.rtcp.port > 0 && m.rtcp.port <= 65535 ? { remoteRtcpPort: m.rtcp.port } : {}),
    ...(srtp !== undefined ? { srtp } : {}),
  };
}

/** The m-line's profile and a=crypto lines we write. */
interface WrittenSecurity {
  protocol: 'RTP/AVP' | 'RTP/SAVP';
  crypto: string[];
}

function writeSdp(
  local: LocalMedia,
  codecs: CallerCodecChoice[],
  tePt: number | undefined,
  teRate: number,
  direction: MediaDirection,
  rtcpMux: boolean,
  security: WrittenSecurity = { protocol: 'RTP/AVP', crypto: [] },
): string {
  const pts = codecs.map((c) => c.payloadType);
  if (tePt !== undefined) pts.push(tePt);
  const lines = [
    'v=0',
    `o=- ${local.sessionId} ${local.sessionVersion} IN IP4 ${local.address}`,
    's=jitsi-sip-gateway',
    `c=IN IP4 ${local.address}`,
    't=0 0',
    `m=audio ${local.port} ${security.protocol} ${pts.join(' ')}`,
  ];
  for (const c of security.crypto) lines.push(`a=${c}`);
  for (const c of codecs) {
    lines.push(`a=rtpmap:${c.payloadType} ${c.encoding}/${c.rtpClockRate}${c.channels > 1 ? `/${c.channels}` : ''}`);
    if (c.encoding === 'opus') lines.push(`a=fmtp:${c.payloadType} useinbandfec=1;maxplaybackrate=16000`);
  }
  if (tePt !== undefined) {
    lines.push(`a=rtpmap:${tePt} telephone-event/${teRate}`, `a=fmtp:${tePt} 0-16`);
  }
  lines.push('a=ptime:20', `a=${direction}`);
  if (rtcpMux) lines.push('a=rtcp-mux');
  else if (local.rtcpPort !== undefined && local.rtcpPort !== local.port + 1) lines.push(`a=rtcp:${local.rtcpPort}`);
  return `${lines.join('\r\n')}\r\n`;
}

/** Answers a caller's offer: picks the first offered codec we support (the offerer's preference). */
export function answerCallerOffer(
  offer: string,
  local: LocalMedia,
): { params: CallerMediaParams; answer: string } {
  const allowed = local.codecs ?? DEFAULT_CALLER_CODECS;
  const policy = local.srtp?.policy ?? 'off';
  const params = readRemote(offer, allowed, policy, 'offer');
  const m = pickAudio(parseSdp(offer), policy);
  const rtcpMux = params.rtcpMux;
  const s = params.srtp;
  // The answer keeps the offer's profile (RTP/SAVP, or best-effort keys on RTP/AVP).
  const security: WrittenSecurity = {
    protocol: isSecureProfile(m.protocol) ? 'RTP/SAVP' : 'RTP/AVP',
    crypto: s !== undefined && local.srtp !== undefined ? [cryptoAttribute(s.tag, s.suite, local.srtp.key)] : [],
  };
  const answer = writeSdp(local, [params.codec], params.telephoneEventPt, params.codec.rtpClockRate, params.direction, rtcpMux, security);
  return { params, answer };
}

/**
 * Our offer for calls without one (late-offer INVITE), for dial-out, and for the engine leg of
 * FreeSWITCH mode: `local.codecs` in that order, plus telephone-event at the clock rate of the
 * first (RFC 4733 events run on the clock of the audio they go with).
 */
export function createCallerOffer(local: LocalMedia): string {
  const names = local.codecs ?? DEFAULT_CALLER_CODECS;
  if (names.length === 0) throw new RangeError('an offer needs at least one codec');
  const codecs = names.map((n): CallerCodecChoice => {
    const s = CODECS[n];
    return {
      name: s.name,
      encoding: s.encoding,
      payloadType: s.offerPt,
      rtpClockRate: s.rtpClockRate,
      sampleRate: s.sampleRate,
      channels: s.channels,
    };
  });
  return writeSdp(local, codecs, TELEPHONE_EVENT_PT, codecs[0]!.rtpClockRate, 'sendrecv', false, offerSecurity(local.srtp));
}

/**
 * 'required' offers RTP/SAVP; 'optional' offers the keys on RTP/AVP (best-effort SRTP): a peer
 * without SRTP ignores them and answers plain RTP, one with SRTP answers a key. That is what
 * phones and PBXs widely do and understand; two m-lines (SAVP and AVP) or RFC 5939 capability
 * negotiation are rarely implemented and make some peers refuse the whole offer.
 */
function offerSecurity(srtp: LocalSrtp | undefined): WrittenSecurity {
  if (srtp === undefined || srtp.policy === 'off') return { protocol: 'RTP/AVP', crypto: [] };
  return {
    protocol: srtp.policy === 'required' ? 'RTP/SAVP' : 'RTP/AVP',
    crypto: SDES_SUITES.map((suite, i) => cryptoAttribute(offerTag(i), suite, srtp.key)),
  };
}

/** Reads the remote answer to an offer we made. */
export function acceptCallerAnswer(answer: string, local: Pick<LocalMedia, 'codecs' | 'srtp'>): CallerMediaParams {
  return readRemote(answer, local.codecs ?? DEFAULT_CALLER_CODECS, local.srtp?.policy ?? 'off', 'answer');
}
