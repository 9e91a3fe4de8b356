import { isIPv4 } from 'node:net';
import sdpTransform from 'sdp-transform';
import type { MediaDescription as MediaAttributes, SessionDescription } from 'sdp-transform';
import type { CodecName } from '../codecs/codec.js';
import type { CallerCodecChoice, CallerCodecName, CallerMediaParams, MediaDirection } from './sdp-types.js';

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

function pickAudio(sdp: SessionDescription): MediaAttributes {
  const audio = sdp.media.find((m) => m.type === 'audio' && m.port !== 0);
  if (audio === undefined) throw new SdpNegotiationError('no active audio stream in SDP');
  if (!/^RTP\/AVPF?$/.test(audio.protocol)) {
    throw new SdpNegotiationError(`unsupported audio transport '${audio.protocol}' (plain RTP/AVP expected)`);
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

/** Reads the media parameters out of the caller's SDP (an offer or an answer to our offer). */
function readRemote(text: string, allowed: readonly CallerCodecName[]): CallerMediaParams {
  const sdp = parseSdp(text);
  const m = pickAudio(sdp);
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
  };
}

function writeSdp(
  local: LocalMedia,
  codecs: CallerCodecChoice[],
  tePt: number | undefined,
  teRate: number,
  direction: MediaDirection,
  rtcpMux: boolean,
): string {
  const pts = codecs.map((c) => c.payloadType);
  if (tePt !== undefined) pts.push(tePt);
  const lines = [
    'v=0',
    `o=- ${local.sessionId} ${local.sessionVersion} IN IP4 ${local.address}`,
    's=jitsi-sip-gateway',
    `c=IN IP4 ${local.address}`,
    't=0 0',
    `m=audio ${local.port} RTP/AVP ${pts.join(' ')}`,
  ];
  for (const c of codecs) {
    lines.push(`a=rtpmap:${c.payloadType} ${c.encoding}/${c.rtpClockRate}${c.channels > 1 ? `/${c.channels}` : ''}`);
    if (c.encoding === 'opus') lines.push(`a=fmtp:${c.payloadType} useinbandfec=1;maxplaybackrate=16000`);
  }
  if (tePt !== undefined) {
    lines.push(`a=rtpmap:${tePt} telephone-event/${teRate}`, `a=fmtp:${tePt} 0-16`);
  }
  lines.push('a=ptime:20', `a=${direction}`);
  if (rtcpMux) lines.push('a=rtcp-mux');
  return `${lines.join('\r\n')}\r\n`;
}

/** Answers a caller's offer: picks the first offered codec we support (the offerer's preference). */
export function answerCallerOffer(
  offer: string,
  local: LocalMedia,
): { params: CallerMediaParams; answer: string } {
  const allowed = local.codecs ?? DEFAULT_CALLER_CODECS;
  const params = readRemote(offer, allowed);
  const rtcpMux = pickAudio(parseSdp(offer)).rtcpMux !== undefined;
  const answer = writeSdp(local, [params.codec], params.telephoneEventPt, params.codec.rtpClockRate, params.direction, rtcpMux);
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
  return writeSdp(local, codecs, TELEPHONE_EVENT_PT, codecs[0]!.rtpClockRate, 'sendrecv', false);
}

/** Reads the remote answer to an offer we made. */
export function acceptCallerAnswer(answer: string, local: Pick<LocalMedia, 'codecs'>): CallerMediaParams {
  return readRemote(answer, local.codecs ?? DEFAULT_CALLER_CODECS);
}
