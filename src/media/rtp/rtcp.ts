/**
 * Minimal RTCP (RFC 3550 §6.4): sender and receiver reports with report blocks, compound packet
 * walking, and telling RTCP from RTP on a multiplexed port (RFC 5761 §4).
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

const HEADER = 4;
const REPORT_BLOCK_SIZE = 24;
/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2208988800;

export class RtcpParseError extends Error {
  override readonly name = 'RtcpParseError';
  readonly label = 'rtcp_malformed';
}

export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the last report, as the 8-bit fixed-point value (lost/expected × 256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | seq). */
  highestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received, 0 if none. */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface SenderReport extends SenderInfo {
  kind: 'sr';
  ssrc: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  kind: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

/** Any other packet type in a compound packet, kept as its raw bytes. */
export interface OtherRtcpPacket {
  kind: 'other';
  type: number;
  /** The count / subtype field of the first byte. */
  count: number;
  raw: Uint8Array;
}

export type RtcpPacket = SenderReport | ReceiverReport | OtherRtcpPacket;

/** RFC 5761: RTCP packet types 192-223 are exactly the RTP payload-type values 64-95 with the marker set. */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < HEADER || buf[0]! >> 6 !== 2) return false;
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

/** RTP (not RTCP) by the same rule. */
export function isRtp(buf: Uint8Array): boolean {
  return buf.length >= 12 && buf[0]! >> 6 === 2 && !isRtcp(buf);
}

/** RFC 7983 first-byte demultiplexing of one UDP port carrying STUN, DTLS and (S)RTP/(S)RTCP. */
export type DemuxClass = 'stun' | 'dtls' | 'rtp' | 'rtcp' | 'unknown';

export function classifyPacket(buf: Uint8Array): DemuxClass {
  if (buf.length === 0) return 'unknown';
  const b = buf[0]!;
  if (b <= 3) return 'stun';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 128 && b <= 191) return isRtcp(buf) ? 'rtcp' : buf.length >= 12 ? 'rtp' : 'unknown';
  return 'unknown';
}

/** Converts a Unix time in milliseconds to the 64-bit NTP timestamp halves. */
export function ntpFromUnixMs(ms: number): { seconds: number; fraction: number } {
  const secs = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - secs * 1000) / 1000) * 0x100000000);
  return { seconds: (secs + NTP_UNIX_OFFSET) >>> 0, fraction: fraction >>> 0 };
}

/** The "middle 32 bits" of an NTP timestamp, as used for LSR in report blocks. */
export function ntpMiddle32(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

function writeU32(out: Uint8Array, o: number, v: number): void {
  out[o] = (v >>> 24) & 0xff;
  out[o + 1] = (v >>> 16) & 0xff;
  out[o + 2] = (v >>> 8) & 0xff;
  out[o + 3] = v & 0xff;
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function writeHeader(out: Uint8Array, o: number, count: number, type: number, totalBytes: number): void {
  out[o] = 0x80 | (count & 0x1f);
  out[o + 1] = type;
  const words = totalBytes / 4 - 1;
  out[o + 2] = words >> 8;
  out[o + 3] = words & 0xff;
}

function writeReportBlock(out: Uint8Array, o: number, r: ReportBlock): void {
  writeU32(out, o, r.ssrc);
  const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(r.cumulativeLost))) & 0xffffff;
  writeU32(out, o + 4, ((r.fractionLost & 0xff) << 24) | lost);
  writeU32(out, o + 8, r.highestSeq);
  writeU32(out, o + 12, r.jitter);
  writeU32(out, o + 16, r.lastSr);
  writeU32(out, o + 20, r.delaySinceLastSr);
}

function readReportBlock(b: Uint8Array, o: number): ReportBlock {
  const w = readU32(b, o + 4);
  let lost = w & 0xffffff;
  if (lost & 0x800000) lost -= 0x1000000;
  return {
    ssrc: readU32(b, o),
    fractionLost: w >>> 24,
    cumulativeLost: lost,
    highestSeq: readU32(b, o + 8),
    jitter: readU32(b, o + 12),
    lastSr: readU32(b, o + 16),
    delaySinceLastSr: readU32(b, o + 20),
  };
}

/** Builds an SR; at most 31 report blocks. */
export function buildSenderReport(ssrc: number, info: SenderInfo, reports: readonly ReportBlock[] = []): Buffer {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const size = HEADER + 4 + 20 + reports.length * REPORT_BLOCK_SIZE;
  const out = Buffer.alloc(size);
  writeHeader(out, 0, reports.length, RTCP_SR, size);
  writeU32(out, 4, ssrc);
  writeU32(out, 8, info.ntpSeconds);
  writeU32(out, 12, info.ntpFraction);
  writeU32(out, 16, info.rtpTimestamp);
  writeU32(out, 20, info.packetCount);
  writeU32(out, 24, info.octetCount);
  for (let i = 0; i < reports.length; i++) writeReportBlock(out, 28 + i * REPORT_BLOCK_SIZE, reports[i]!);
  return out;
}

/** Builds an RR; at most 31 report blocks (an empty RR is valid and common). */
export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[] = []): Buffer {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const size = HEADER + 4 + reports.length * REPORT_BLOCK_SIZE;
  const out = Buffer.alloc(size);
  writeHeader(out, 0, reports.length, RTCP_RR, size);
  writeU32(out, 4, ssrc);
  for (let i = 0; i < reports.length; i++) writeReportBlock(out, 8 + i * REPORT_BLOCK_SIZE, reports[i]!);
  return out;
}

/**
 * Splits a compound RTCP packet and decodes SR and RR; other types are returned raw. Throws
 * RtcpParseError when a length field does not fit.
 */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] {
  const packets: RtcpPacket[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.length - o < HEADER) throw new RtcpParseError('truncated RTCP header');
    const b0 = buf[o]!;
    if (b0 >> 6 !== 2) throw new RtcpParseError('not RTCP version 2');
    const count = b0 & 0x1f;
    const type = buf[o + 1]!;
    const size = (((buf[o + 2]! << 8) | buf[o + 3]!) + 1) * 4;
    if (o + size > buf.length) throw new RtcpParseError('RTCP length past the end');
    let end = o + size;
    if (b0 & 0x20) {
      // Padding is only allowed on the last packet, and its count byte is the last byte.
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > size - HEADER) throw new RtcpParseError('bad RTCP padding');
      end -= pad;
    }
    if (type === RTCP_SR) {
      if (end - o < 28 + count * REPORT_BLOCK_SIZE) throw new RtcpParseError('SR too short');
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(buf, o + 28 + i * REPORT_BLOCK_SIZE));
      packets.push({
        kind: 'sr',
        ssrc: readU32(buf, o + 4),
        ntpSeconds: readU32(buf, o + 8),
        ntpFraction: readU32(buf, o + 12),
        rtpTimestamp: readU32(buf, o + 16),
        packetCount: readU32(buf, o + 20),
        octetCount: readU32(buf, o + 24),
        reports,
      });
    } else if (type === RTCP_RR) {
      if (end - o < 8 + count * REPORT_BLOCK_SIZE) throw new RtcpParseError('RR too short');
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(buf, o + 8 + i * REPORT_BLOCK_SIZE));
      packets.push({ kind: 'rr', ssrc: readU32(buf, o + 4), reports });
    } else {
      packets.push({ kind: 'other', type, count, raw: buf.subarray(o, o + size) });
    }
    o += size;
  }
  return packets;
}
