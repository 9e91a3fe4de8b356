/**
 * Our side of RTCP reporting (RFC 3550 §6), for both legs (the bridge's SRTCP, the phone's
 * RTCP): every few seconds one compound packet with a sender report for our SSRC, report blocks
 * about the remote SSRCs the leg receives (loss, jitter, LSR/DLSR), and an SDES CNAME chunk,
 * which RFC 3550 requires in every compound packet.
 * Reception is tracked per SSRC on the packet path with two small counters.
 */
import { performance } from 'node:perf_hooks';
import { InterarrivalJitter } from '../jitter/interarrival-jitter.js';
import { buildSenderReport, ntpFromUnixMs, ntpMiddle32, parseRtcp, RTCP_SDES, type ReportBlock } from './rtcp.js';
import { SequenceTracker } from './sequence.js';

interface Reception {
  readonly seq: SequenceTracker;
  readonly jitter: InterarrivalJitter;
  /** Middle 32 bits of the last SR's NTP time, and when it arrived (monotonic ms). */
  lastSr: number;
  lastSrMs: number;
  lastPacketMs: number;
}

/** Remote SSRCs silent this long get no more report blocks. */
const REPORT_IDLE_MS = 15_000;
const MAX_BLOCKS = 31;

export class ReceptionTracker {
  readonly #bySsrc = new Map<number, Reception>();

  /** `clockRate`: the RTP clock of the streams received (Opus' 48 kHz from the bridge). */
  constructor(private readonly clockRate = 48000) {}

  /** One RTP packet as it arrived (audio packets also feed the jitter estimate). */
  onRtp(ssrc: number, seq: number, timestamp: number, audio: boolean, nowMs: number): void {
    let r = this.#bySsrc.get(ssrc);
    if (r === undefined) {
      r = { seq: new SequenceTracker(), jitter: new InterarrivalJitter(this.clockRate), lastSr: 0, lastSrMs: -1, lastPacketMs: nowMs };
      this.#bySsrc.set(ssrc, r);
    }
    r.seq.update(seq);
    if (audio) r.jitter.update(timestamp, nowMs);
    r.lastPacketMs = nowMs;
  }

  /** A compound RTCP packet from the far end: remembers its sender reports for LSR/DLSR. */
  onRtcp(packet: Uint8Array, nowMs: number): void {
    let parsed;
    try {
      parsed = parseRtcp(packet);
    } catch {
      return; // a malformed report only costs us LSR/DLSR accuracy
    }
    for (const p of parsed) if (p.kind === 'sr') this.onSenderReport(p.ssrc, p.ntpSeconds, p.ntpFraction, nowMs);
  }

  onSenderReport(ssrc: number, ntpSeconds: number, ntpFraction: number, nowMs: number): void {
    const r = this.#bySsrc.get(ssrc);
    if (r === undefined) return;
    r.lastSr = ntpMiddle32(ntpSeconds, ntpFraction);
    r.lastSrMs = nowMs;
  }

  /**
   * Packets received and lost over every SSRC, and the largest interarrival jitter (ms) of the
   * streams still sending: the worst speaker is what the jitter buffer must absorb.
   */
  totals(nowMs = performance.now()): { received: number; lost: number; jitterMs: number } {
    let received = 0;
    let lost = 0;
    let jitter = 0;
    for (const r of this.#bySsrc.values()) {
      received += r.seq.received;
      lost += Math.max(0, r.seq.cumulativeLost);
      if (nowMs - r.lastPacketMs <= REPORT_IDLE_MS) jitter = Math.max(jitter, r.jitter.timestampUnits);
    }
    return { received, lost, jitterMs: (jitter * 1000) / this.clockRate };
  }

  reportBlocks(nowMs: number): ReportBlock[] {
    const blocks: ReportBlock[] = [];
    for (const [ssrc, r] of this.#bySsrc) {
      if (nowMs - r.lastPacketMs > REPORT_IDLE_MS) continue;
      if (blocks.length >= MAX_BLOCKS) break;
      blocks.push({
        ssrc,
        fractionLost: r.seq.takeFractionLost(),
        cumulativeLost: r.seq.cumulativeLost,
        highestSeq: r.seq.extendedHighestForReport,
        jitter: Math.round(r.jitter.timestampUnits),
        lastSr: r.lastSr,
        delaySinceLastSr: r.lastSrMs < 0 ? 0 : Math.round(((nowMs - r.lastSrMs) * 65536) / 1000),
      });
    }
    return blocks;
  }

  clear(): void {
    this.#bySsrc.clear();
  }
}

export interface SenderState {
  ssrc: number;
  cname: string;
  packets: number;
  octets: number;
  /** RTP timestamp of the last packet and when it was sent (monotonic ms); -1 before any. */
  lastRtpTimestamp: number;
  lastSendMs: number;
}

/**
 * The compound packet: SR (our SSRC, NTP now, the RTP time matching now) + SDES CNAME. The RTP
 * timestamp is extrapolated from the last packet sent, at the stream's clock (Opus' 48 kHz by
 * default). An SR even before our first packet: the far end's LSR/DLSR answer is the round trip.
 */
export function buildCompoundReport(sender: SenderState, blocks: readonly ReportBlock[], nowMs: number, wallMs: number, clockRate = 48000): Buffer {
  const ntp = ntpFromUnixMs(wallMs);
  const perMs = clockRate / 1000;
  const rtpNow = sender.lastSendMs < 0 ? 0 : (sender.lastRtpTimestamp + Math.round((nowMs - sender.lastSendMs) * perMs)) >>> 0;
  const sr = buildSenderReport(
    sender.ssrc,
    {
      ntpSeconds: ntp.seconds,
      ntpFraction: ntp.fraction,
      rtpTimestamp: rtpNow,
      packetCount: sender.packets >>> 0,
      octetCount: sender.octets >>> 0,
    },
    blocks,
  );
  return Buffer.concat([sr, buildSdesCname(sender.ssrc, sender.cname)]);
}

/** An SDES packet with one chunk: our SSRC and its CNAME (RFC 3550 §6.5). */
export function buildSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8').subarray(0, 255);
  // SSRC, CNAME item (type, length, text), then at least one null byte ending the item list.
  const chunk = 4 + 2 + text.length + 1;
  const padded = (chunk + 3) & ~3;
  const out = Buffer.alloc(4 + padded);
  out[0] = 0x81;
  out[1] = RTCP_SDES;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out[8] = 1;
  out[9] = text.length;
  text.copy(out, 10);
  return out;
}
