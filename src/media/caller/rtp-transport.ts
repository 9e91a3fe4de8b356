/**
 * The caller leg's UDP sockets: validates what arrives, applies the symmetric-RTP latch, and sends
 * to wherever the latch points. Packets that are not our RTP are dropped here and counted by
 * reason, so a port scanner or a stale stream of an earlier call costs one parse and a counter.
 *
 * RTCP goes over the RTP port when rtcp-mux was agreed, else over a second socket when the call
 * has one. Only RTCP from the address the phone's RTP comes from is read, and reports go back to
 * where the phone's RTCP came from (symmetric RTCP, RFC 4961: right behind NAT), until then to the
 * RTCP port its SDP names (a=rtcp), and nowhere while it names none and has sent none.
 */
import type { RemoteInfo } from 'node:dgram';
import type { Logger } from '../../log.js';
import type { SrtpSession } from '../bridge/srtp/srtp-session.js';
import type { BoundUdpSocket } from '../port-allocator.js';
import { createRtpPacketView, tryParseRtp, type RtpPacketView } from '../rtp/packet.js';
import { isRtcp } from '../rtp/rtcp.js';
import { SymmetricRtpLatch, type LatchOptions } from './latch.js';
import { createSdesSession } from './sdes.js';
import type { NegotiatedSrtp } from './sdp-types.js';

export interface RtpPacketSink {
  /** Whether a payload type was negotiated (codec, telephone-event, comfort noise). */
  accepts(payloadType: number): boolean;
  /** A valid packet from the latched source. `view` is reused for the next packet. */
  onPacket(view: RtpPacketView, length: number, nowMs: number): void;
  onLatched(address: string, port: number): void;
  /** A compound RTCP packet from the phone's address (decrypted on SRTP calls). */
  onRtcp?(packet: Buffer, nowMs: number): void;
}

export interface TransportDrops {
  /** Not RTP version 2, or truncated. */
  malformed: number;
  /** RTP with a payload type we did not negotiate. */
  payloadType: number;
  /** Valid RTP from a second source while the latched one was alive (latch rule 4). */
  foreignSource: number;
  /** RTCP not read: the call has no RTCP, or it came from another address than the phone's RTP. */
  rtcp: number;
  /** Anything before the SDP was negotiated. */
  unconfigured: number;
  /** Sends that threw (socket closed); a datagram the kernel refuses is lost uncounted. */
  sendErrors: number;
  /** SRTP whose authentication tag did not verify (tampered, wrong key, or plain RTP on an SRTP call). */
  srtpAuth: number;
  /** SRTP packets replayed or too old for the replay window. */
  srtpReplay: number;
}

/** The SRTP context of an SDES-keyed call, with what keyed it (a re-offer with the same keys keeps it). */
interface SrtpContext {
  session: SrtpSession;
  suite: NegotiatedSrtp['suite'];
  remoteKey: Buffer;
  localKey: Buffer;
}

export class CallerRtpTransport {
  readonly #bound: BoundUdpSocket;
  readonly #latch: SymmetricRtpLatch;
  readonly #logger: Logger;
  readonly #view = createRtpPacketView();
  readonly #drops: TransportDrops = {
    malformed: 0,
    payloadType: 0,
    foreignSource: 0,
    rtcp: 0,
    unconfigured: 0,
    sendErrors: 0,
    srtpAuth: 0,
    srtpReplay: 0,
  };
  #sink: RtpPacketSink | undefined;
  #srtp: SrtpContext | undefined;
  #closed = false;
  readonly #rtcpBound: BoundUdpSocket | undefined;
  #rtcpMux = false;
  #remoteRtcpPort: number | undefined;
  /** Where the phone's RTCP comes from, on the separate port. */
  #rtcpSource: { address: string; port: number } | undefined;

  constructor(bound: BoundUdpSocket, logger: Logger, latch: LatchOptions = {}, rtcp?: BoundUdpSocket) {
    this.#bound = bound;
    this.#logger = logger;
    this.#latch = new SymmetricRtpLatch(latch);
    bound.socket.on('message', this.#onMessage);
    // Without a listener an 'error' event would throw out of the event loop.
    bound.socket.on('error', (err) => this.#logger.warn({ err }, 'caller RTP socket error'));
    this.#rtcpBound = rtcp;
    if (rtcp !== undefined) {
      rtcp.socket.on('message', this.#onRtcpPort);
      rtcp.socket.on('error', (err) => this.#logger.warn({ err }, 'caller RTCP socket error'));
    }
  }

  /** Our RTCP port when the call has one besides the RTP port. */
  get rtcpPort(): number | undefined {
    return this.#rtcpBound?.port;
  }

  /** RTCP over the RTP port (rtcp-mux agreed), and the phone's RTCP port from its SDP. */
  setRtcp(mux: boolean, remotePort: number | undefined): void {
    this.#rtcpMux = mux;
    if (remotePort !== this.#remoteRtcpPort) this.#rtcpSource = undefined;
    this.#remoteRtcpPort = remotePort;
  }

  /** Whether RTCP can be exchanged with the phone at all (mux, or our own RTCP port). */
  get hasRtcp(): boolean {
    return this.#rtcpMux || this.#rtcpBound !== undefined;
  }

  /** Sends one compound RTCP packet to the phone; false when there is nowhere to send it yet. */
  sendRtcp(packet: Buffer): boolean {
    const address = this.#latch.targetAddress;
    if (this.#closed || address === undefined) return false;
    let socket;
    let port: number;
    if (this.#rtcpMux) {
      socket = this.#bound.socket;
      port = this.#latch.targetPort;
    } else if (this.#rtcpBound !== undefined) {
      socket = this.#rtcpBound.socket;
      // RTP + 1 is only a guess: until the phone's own RTCP shows where it listens, or its SDP
      // names the port, nothing is sent there (it may be nobody's, or someone else's).
      const source = this.#rtcpSource;
      const learnt = source !== undefined && source.address === address ? source.port : this.#remoteRtcpPort;
      if (learnt === undefined) return false;
      port = learnt;
    } else {
      return false;
    }
    try {
      const out = this.#srtp === undefined ? packet : this.#srtp.session.protectRtcp(packet);
      socket.send(out, 0, out.length, port, address);
      return true;
    } catch (err) {
      this.#drops.sendErrors++;
      this.#logger.debug({ err }, 'caller RTCP send failed');
      return false;
    }
  }

  get localAddress(): string {
    return this.#bound.address;
  }

  get localPort(): number {
    return this.#bound.port;
  }

  get latch(): SymmetricRtpLatch {
    return this.#latch;
  }

  get drops(): Readonly<TransportDrops> {
    return this.#drops;
  }

  /** Where packets go once negotiated; before that everything is dropped as 'unconfigured'. */
  setSink(sink: RtpPacketSink): void {
    this.#sink = sink;
  }

  /** The address:port from SDP (see SymmetricRtpLatch.setSignalled). */
  setSignalled(address: string, port: number): void {
    this.#latch.setSignalled(address, port);
  }

  /**
   * SDES-SRTP from now on (`srtp` set, keyed by `localKey` for what we send), or plain RTP. The
   * same keys again (a re-INVITE that changes only direction or codec) keep the context, so its
   * rollover counters and replay window go on.
   */
  setSrtp(srtp: NegotiatedSrtp | undefined, localKey: Buffer | undefined): void {
    if (srtp === undefined || localKey === undefined) {
      this.#srtp = undefined;
      return;
    }
    const c = this.#srtp;
    if (c !== undefined && c.suite === srtp.suite && c.remoteKey.equals(srtp.remoteKey) && c.localKey.equals(localKey)) return;
    this.#srtp = { session: createSdesSession(srtp.suite, localKey, srtp.remoteKey), suite: srtp.suite, remoteKey: srtp.remoteKey, localKey };
  }

  get encrypted(): boolean {
    return this.#srtp !== undefined;
  }

  get hasDestination(): boolean {
    return this.#latch.targetAddress !== undefined;
  }

  /** Sends `buf[0..length)` to the latched source or the SDP address. */
  send(buf: Buffer, length: number): void {
    const address = this.#latch.targetAddress;
    if (this.#closed || address === undefined) return;
    try {
      const srtp = this.#srtp;
      if (srtp !== undefined) {
        const out = srtp.session.protectRtp(buf.subarray(0, length));
        this.#bound.socket.send(out, 0, out.length, this.#latch.targetPort, address);
        return;
      }
      // No callback: Node would defer one per packet; a UDP send that fails only loses that datagram.
      this.#bound.socket.send(buf, 0, length, this.#latch.targetPort, address);
    } catch (err) {
      this.#drops.sendErrors++;
      this.#logger.debug({ err }, 'caller RTP send failed');
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#bound.socket.off('message', this.#onMessage);
    const rtcp = this.#rtcpBound;
    if (rtcp === undefined) return this.#bound.release();
    rtcp.socket.off('message', this.#onRtcpPort);
    return Promise.all([this.#bound.release(), rtcp.release()]).then(() => undefined);
  }

  readonly #onRtcpPort = (received: Buffer, rinfo: RemoteInfo): void => {
    if (!isRtcp(received)) {
      this.#drops.malformed++;
      return;
    }
    this.#readRtcp(received, rinfo.address, rinfo.port);
  };

  /**
   * Hands a phone's RTCP to the sink when it may be read. `fromPort`, for the RTCP port: where
   * the phone reports from, learnt before the sink sees the report so that an answer to it
   * already goes there.
   */
  #readRtcp(packet: Buffer, from: string, fromPort?: number): void {
    const sink = this.#sink;
    if (sink?.onRtcp === undefined || from !== this.#latch.targetAddress) {
      this.#drops.rtcp++;
      return;
    }
    let plain = packet;
    if (this.#srtp !== undefined) {
      const c = this.#srtp.session.counters;
      const auth = c.authFailures;
      const decrypted = this.#srtp.session.unprotectRtcp(packet);
      if (decrypted === null) {
        if (c.authFailures !== auth) this.#drops.srtpAuth++;
        else this.#drops.srtpReplay++;
        return;
      }
      plain = decrypted;
    }
    if (fromPort !== undefined) this.#rtcpSource = { address: from, port: fromPort };
    sink.onRtcp(plain, performance.now());
  }

  readonly #onMessage = (received: Buffer, rinfo: RemoteInfo): void => {
    const sink = this.#sink;
    if (sink === undefined) {
      this.#drops.unconfigured++;
      return;
    }
    if (isRtcp(received)) {
      // Multiplexed RTCP comes from the phone's RTP source itself.
      if (rinfo.port === this.#latch.targetPort) this.#readRtcp(received, rinfo.address);
      else this.#drops.rtcp++;
      return;
    }
    let msg = received;
    if (this.#srtp !== undefined) {
      const plain = this.#unprotect(this.#srtp.session, received);
      if (plain === undefined) return;
      msg = plain;
    }
    const view = tryParseRtp(msg, this.#view);
    if (view === undefined) {
      this.#drops.malformed++;
      return;
    }
    const pt = view.payloadType;
    if (!sink.accepts(pt)) {
      this.#drops.payloadType++;
      return;
    }
    const now = performance.now();
    const verdict = this.#latch.consider(rinfo.address, rinfo.port, view.ssrc, now);
    if (verdict === 'rejected') {
      this.#drops.foreignSource++;
      return;
    }
    if (verdict === 'latched') sink.onLatched(rinfo.address, rinfo.port);
    sink.onPacket(view, msg.length, now);
  };

  /**
   * Authenticates and decrypts in place, before anything else looks at the packet: a packet that
   * fails here must not move the latch nor reach the jitter buffer.
   */
  #unprotect(session: SrtpSession, packet: Buffer): Buffer | undefined {
    const c = session.counters;
    const auth = c.authFailures;
    const replays = c.replays;
    const plain = session.unprotectRtp(packet);
    if (plain !== null) return plain;
    if (c.authFailures !== auth) this.#drops.srtpAuth++;
    else if (c.replays !== replays) this.#drops.srtpReplay++;
    else this.#drops.malformed++;
    return undefined;
  }
}

