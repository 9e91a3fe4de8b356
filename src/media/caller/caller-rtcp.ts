/**
 * RTCP with the phone (RFC 3550 §6), for the phone leg's share of an operator's quality figures:
 * a compound SR + SDES every few seconds, with a report block about the phone's stream, and the
 * phone's own reports read back. Its report block about our stream gives the round trip
 * (LSR/DLSR against the SRs we sent, on our own clock), and what the phone lost of what we sent.
 *
 * The interval is randomised between 0.5 and 1.5 times the nominal one (RFC 3550 §6.3.1), so the
 * calls a gateway set up in one burst don't report in step. Where the reports go (the RTP port
 * with rtcp-mux, else the phone's RTCP port) and their SRTCP protection is the transport's job.
 */
import { randomInt } from 'node:crypto';
import { ReportFeedback, type ReportFeedbackStats } from '../rtp/rtcp-feedback.js';
import { buildCompoundReport, ReceptionTracker } from '../rtp/rtcp-reports.js';
import { ntpFromUnixMs, ntpMiddle32 } from '../rtp/rtcp.js';
import type { CallerRtpSender } from './rtp-sender.js';

export const DEFAULT_CALLER_RTCP_INTERVAL_MS = 5000;

/** What a report says about our sending. */
export interface RtcpSenderSnapshot {
  ssrc: number;
  packets: number;
  octets: number;
  lastTimestamp: number;
  /** Monotonic ms of the last packet sent, -1 before any. */
  lastSendMs: number;
}

export interface CallerRtcpOptions {
  /** RTP clock of the negotiated codec (8000 for G.711 and G.722, 48000 for Opus). */
  clockRate: number;
  cname: string;
  intervalMs?: number;
  sender: () => RtcpSenderSnapshot;
  /** Sends one compound packet; false when there is nowhere to send it (hold, not latched yet). */
  transmit: (packet: Buffer) => boolean;
  /** Monotonic and wall clocks (tests replace them). */
  now?: () => number;
  wallNow?: () => number;
}

export interface CallerRtcpStats extends ReportFeedbackStats {
  reportsSent: number;
  reportsReceived: number;
}

export class CallerRtcp {
  readonly #o: CallerRtcpOptions;
  readonly #now: () => number;
  readonly #wallNow: () => number;
  readonly #intervalMs: number;
  #reception: ReceptionTracker;
  #feedback: ReportFeedback;
  #clockRate: number;
  #timer: NodeJS.Timeout | undefined;
  #sent = 0;
  #received = 0;
  #first = true;

  constructor(options: CallerRtcpOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    this.#wallNow = options.wallNow ?? (() => Date.now());
    this.#intervalMs = options.intervalMs ?? DEFAULT_CALLER_RTCP_INTERVAL_MS;
    this.#clockRate = options.clockRate;
    this.#reception = new ReceptionTracker(options.clockRate);
    this.#feedback = new ReportFeedback(options.sender().ssrc, options.clockRate / 1000);
  }

  /** Reports about what `sender` sends, started. */
  static start(sender: CallerRtpSender, o: { clockRate: number; cname: string; intervalMs: number | undefined }, transmit: (packet: Buffer) => boolean): CallerRtcp {
    const rtcp = new CallerRtcp({
      clockRate: o.clockRate,
      cname: o.cname,
      ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
      sender: () => {
        const c = sender.counters;
        const last = sender.lastSent;
        return { ssrc: sender.ssrc, packets: c.packets, octets: c.bytes, lastTimestamp: last.timestamp, lastSendMs: last.atMs };
      },
      transmit,
    });
    rtcp.start();
    return rtcp;
  }

  /** Starts the report timer (idempotent). */
  start(): void {
    if (this.#timer === undefined) this.#schedule();
  }

  /** A renegotiated codec with another RTP clock: the streams are measured afresh. */
  setClockRate(clockRate: number): void {
    if (clockRate === this.#clockRate) return;
    this.#clockRate = clockRate;
    this.#reception = new ReceptionTracker(clockRate);
    this.#feedback = new ReportFeedback(this.#o.sender().ssrc, clockRate / 1000);
  }

  /** One RTP packet of the phone's, as accepted by the transport; only audio feeds the jitter estimate (an RFC 4733 event keeps one timestamp). */
  onRtp(ssrc: number, seq: number, timestamp: number, audio: boolean, nowMs: number): void {
    this.#reception.onRtp(ssrc, seq, timestamp, audio, nowMs);
  }

  /** A compound RTCP packet from the phone (already decrypted on an SRTP call). */
  onRtcp(packet: Uint8Array, nowMs: number): void {
    this.#received++;
    this.#reception.onRtcp(packet, nowMs);
    this.#feedback.onRtcp(packet, nowMs);
    // The phone's first report may be what shows where to send ours: answer it at once, so its
    // next report already carries the round trip.
    if (this.#sent === 0 && this.#timer !== undefined) this.report();
  }

  /** Sends one report now; returns whether it went out. */
  report(): boolean {
    const nowMs = this.#now();
    const wallMs = this.#wallNow();
    const s = this.#o.sender();
    const packet = buildCompoundReport(
      { ssrc: s.ssrc, cname: this.#o.cname, packets: s.packets, octets: s.octets, lastRtpTimestamp: s.lastTimestamp, lastSendMs: s.lastSendMs },
      this.#reception.reportBlocks(nowMs),
      nowMs,
      wallMs,
      this.#clockRate,
    );
    if (!this.#o.transmit(packet)) return false;
    const ntp = ntpFromUnixMs(wallMs);
    this.#feedback.sentReport(ntpMiddle32(ntp.seconds, ntp.fraction), nowMs);
    this.#sent++;
    return true;
  }

  stats(): CallerRtcpStats {
    return { ...this.#feedback.stats(), reportsSent: this.#sent, reportsReceived: this.#received };
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    // RFC 3550 §6.3.1: the first interval is halved, so a short call still gets its round trip.
    const nominal = this.#first ? this.#intervalMs / 2 : this.#intervalMs;
    this.#first = false;
    const half = Math.floor(nominal / 2);
    this.#timer = setTimeout(() => {
      this.#schedule();
      this.report();
    }, half + randomInt(0, Math.floor(nominal) + 1));
    this.#timer.unref();
  }
}
