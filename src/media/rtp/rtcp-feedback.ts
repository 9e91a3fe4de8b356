/**
 * What the far end (the bridge, or a phone) tells us about the audio we send it, from the report
 * blocks about our SSRC in its RTCP (RFC 3550 §6.4): its loss and jitter, and the round-trip
 * time. The RTT is measured against our own clock: each sender report we send is remembered by
 * its LSR value (the middle 32 bits of its NTP time) with the monotonic time it left, so
 * RTT = arrival − sent − DLSR, with no assumption that the two hosts' wall clocks agree.
 */
import { parseRtcp, type ReportBlock } from './rtcp.js';

/** Sender reports remembered for matching; the far end answers the latest within a second or two. */
const REMEMBERED_REPORTS = 8;
/** How far below zero a round trip may come out and still count, as zero (see #onBlock). */
const DLSR_SLACK_MS = 2;

export interface ReportFeedbackStats {
  /** Latest round-trip time, ms; undefined until a report answered one of ours. */
  rttMs: number | undefined;
  /** Round trips measured, and their sum (for an average). */
  rttSamples: number;
  rttMsSum: number;
  /** The far end's cumulative count of our packets it lost, and its latest jitter for our stream, ms. */
  remotePacketsLost: number | undefined;
  remoteJitterMs: number | undefined;
}

/** What the far end's reports told, as a leg's CallMediaStats fields. */
export interface FeedbackFields {
  rttMs?: number;
  rttMsSum?: number;
  rttSamples?: number;
  remotePacketsLost?: number;
  remoteJitterMs?: number;
}

/** Rounded to 0.1 ms, leaving out what was never measured. */
export function feedbackFields(f: ReportFeedbackStats): FeedbackFields {
  return {
    ...(f.rttMs !== undefined ? { rttMs: f.rttMs, rttMsSum: Math.round(f.rttMsSum * 10) / 10, rttSamples: f.rttSamples } : {}),
    ...(f.remotePacketsLost !== undefined ? { remotePacketsLost: f.remotePacketsLost } : {}),
    ...(f.remoteJitterMs !== undefined ? { remoteJitterMs: Math.round(f.remoteJitterMs * 10) / 10 } : {}),
  };
}

export class ReportFeedback {
  readonly #sent = new Map<number, number>();
  #rttMs: number | undefined;
  #rttSamples = 0;
  #rttMsSum = 0;
  #remoteLost: number | undefined;
  #remoteJitterMs: number | undefined;

  /** `clockKhz`: our stream's RTP clock, in which the far end reports its jitter (Opus: 48). */
  constructor(
    private readonly ssrc: number,
    private readonly clockKhz = 48,
  ) {}

  /** We sent a sender report whose NTP middle 32 bits are `lsr`, at monotonic `nowMs`. */
  sentReport(lsr: number, nowMs: number): void {
    this.#sent.set(lsr >>> 0, nowMs);
    if (this.#sent.size > REMEMBERED_REPORTS) this.#sent.delete(this.#sent.keys().next().value!);
  }

  /** A compound RTCP packet from the far end. */
  onRtcp(packet: Uint8Array, nowMs: number): void {
    let parsed;
    try {
      parsed = parseRtcp(packet);
    } catch {
      return; // a malformed report only costs this sample
    }
    for (const p of parsed) {
      if (p.kind === 'other') continue;
      for (const block of p.reports) if (block.ssrc >>> 0 === this.ssrc >>> 0) this.#onBlock(block, nowMs);
    }
  }

  stats(): ReportFeedbackStats {
    return {
      rttMs: this.#rttMs,
      rttSamples: this.#rttSamples,
      rttMsSum: this.#rttMsSum,
      remotePacketsLost: this.#remoteLost,
      remoteJitterMs: this.#remoteJitterMs,
    };
  }

  /** As CallMediaStats fields: see feedbackFields. */
  statsFields(): FeedbackFields {
    return feedbackFields(this.stats());
  }

  /** A new session: reports about the previous transport no longer apply. */
  reset(): void {
    this.#sent.clear();
  }

  #onBlock(block: ReportBlock, nowMs: number): void {
    this.#remoteLost = Math.max(0, block.cumulativeLost);
    this.#remoteJitterMs = block.jitter / this.clockKhz;
    if (block.lastSr === 0) return;
    const sentMs = this.#sent.get(block.lastSr >>> 0);
    if (sentMs === undefined) return;
    let rtt = nowMs - sentMs - (block.delaySinceLastSr * 1000) / 65536;
    // On a LAN the true round trip is below the far end's timer granularity, and a phone that counts
    // DLSR in whole milliseconds overstates it by up to one: that is a round trip of about zero.
    // Further below zero, the report says it was held longer than it was; keep it out of the average.
    if (rtt < 0) {
      if (rtt < -DLSR_SLACK_MS) return;
      rtt = 0;
    }
    this.#rttMs = Math.round(rtt * 10) / 10;
    this.#rttSamples++;
    this.#rttMsSum += rtt;
  }
}
