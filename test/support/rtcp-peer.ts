/**
 * A phone's RTCP side for tests: answers every sender report it receives with a receiver report
 * whose block about the sender carries LSR (that SR's NTP middle bits) and DLSR (how long the
 * peer held it), as RFC 3550 phones do, so the far end can work out the round trip. It reports
 * `lostOfTheirs` packets lost of the sender's stream. RTCP goes over its own socket, or over the
 * phone's RTP socket (rtcp-mux).
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { buildReceiverReport, ntpMiddle32, parseRtcp, type RtcpPacket } from '../../src/media/rtp/rtcp.js';
import type { RtpPhone } from './rtp-phone.js';

type Send = (packet: Buffer, port: number, address: string) => void;

export class RtcpPeer {
  readonly received: RtcpPacket[][] = [];
  /** Where each report came from. */
  readonly sources: string[] = [];
  /** How long the peer sits on an SR before answering it, ms (DLSR reports what it really was). */
  holdMs = 20;
  lostOfTheirs = 0;
  /** false: records what arrives and answers nothing (a port the phone named but does not use). */
  answers = true;
  readonly ssrc = 0x5eed;
  #target: { address: string; port: number } | undefined;
  readonly #send: Send;
  readonly #close: () => Promise<void>;
  #closed = false;

  /** The port its RTCP leaves from and arrives at. */
  readonly port: number;

  private constructor(send: Send, close: () => Promise<void>, port: number) {
    this.port = port;
    this.#send = send;
    this.#close = close;
  }

  /** RTCP on a socket of its own (the phone advertises its port with a=rtcp, or not). */
  static async ownSocket(): Promise<RtcpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const peer = new RtcpPeer(
      (packet, port, address) => socket.send(packet, port, address),
      () => new Promise<void>((resolve) => socket.close(() => resolve())),
      (socket.address() as AddressInfo).port,
    );
    socket.on('message', (msg, rinfo) => peer.#receive(msg, rinfo));
    return peer;
  }

  /** RTCP over the phone's RTP socket (rtcp-mux). */
  static muxed(phone: RtpPhone): RtcpPeer {
    const peer = new RtcpPeer(
      (packet) => phone.sendRaw(packet),
      async () => {
        phone.onRtcp = undefined;
      },
      phone.port,
    );
    phone.onRtcp = (msg, from) => peer.#receive(msg, from);
    return peer;
  }

  /** Where its own, unsolicited reports go (before any SR told it where the far end is). */
  sendTo(address: string, port: number): void {
    this.#target = { address, port };
  }

  /** An empty receiver report now, to the target (a phone that speaks first). */
  sendEmptyReport(): void {
    if (this.#target !== undefined) this.#send(buildReceiverReport(this.ssrc), this.#target.port, this.#target.address);
  }

  senderReports(): Array<Extract<RtcpPacket, { kind: 'sr' }>> {
    return this.received.flatMap((c) => c.filter((p): p is Extract<RtcpPacket, { kind: 'sr' }> => p.kind === 'sr'));
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#close();
  }

  #receive(msg: Buffer, from: { address: string; port: number }): void {
    const compound = parseRtcp(msg);
    this.received.push(compound);
    this.sources.push(`${from.address}:${from.port}`);
    const target = this.#target ?? from;
    if (!this.answers) return;
    const arrived = performance.now();
    for (const p of compound) {
      if (p.kind !== 'sr') continue;
      const lastSr = ntpMiddle32(p.ntpSeconds, p.ntpFraction);
      // DLSR is the hold as measured, as a phone does: a timer may fire a little early.
      setTimeout(() => {
        if (this.#closed) return;
        const held = performance.now() - arrived;
        const block = {
          ssrc: p.ssrc,
          fractionLost: 0,
          cumulativeLost: this.lostOfTheirs,
          highestSeq: 0,
          jitter: 0,
          lastSr,
          delaySinceLastSr: Math.floor((held * 65536) / 1000),
        };
        this.#send(buildReceiverReport(this.ssrc, [block]), target.port, target.address);
      }, this.holdMs);
    }
  }
}
