/**
 * The caller leg's UDP socket: validates what arrives, applies the symmetric-RTP latch, and sends
 * to wherever the latch points. Packets that are not our RTP are dropped here and counted by
 * reason, so a port scanner or a stale stream of an earlier call costs one parse and a counter.
 */
import type { RemoteInfo } from 'node:dgram';
import type { Logger } from '../../log.js';
import type { BoundUdpSocket } from '../port-allocator.js';
import { createRtpPacketView, tryParseRtp, type RtpPacketView } from '../rtp/packet.js';
import { SymmetricRtpLatch, type LatchOptions } from './latch.js';

export interface RtpPacketSink {
  /** Whether a payload type was negotiated (codec, telephone-event, comfort noise). */
  accepts(payloadType: number): boolean;
  /** A valid packet from the latched source. `view` is reused for the next packet. */
  onPacket(view: RtpPacketView, length: number, nowMs: number): void;
  onLatched(address: string, port: number): void;
}

export interface TransportDrops {
  /** Not RTP version 2, or truncated. */
  malformed: number;
  /** RTP with a payload type we did not negotiate. */
  payloadType: number;
  /** Valid RTP from a second source while the latched one was alive (latch rule 4). */
  foreignSource: number;
  /** RTCP multiplexed on the RTP port (we do not use the caller's reports yet). */
  rtcp: number;
  /** Anything before the SDP was negotiated. */
  unconfigured: number;
  /** Sends that threw (socket closed); a datagram the kernel refuses is lost uncounted. */
  sendErrors: number;
}

export class CallerRtpTransport {
  readonly #bound: BoundUdpSocket;
  readonly #latch: SymmetricRtpLatch;
  readonly #logger: Logger;
  readonly #view = createRtpPacketView();
  readonly #drops: TransportDrops = { malformed: 0, payloadType: 0, foreignSource: 0, rtcp: 0, unconfigured: 0, sendErrors: 0 };
  #sink: RtpPacketSink | undefined;
  #closed = false;

  constructor(bound: BoundUdpSocket, logger: Logger, latch: LatchOptions = {}) {
    this.#bound = bound;
    this.#logger = logger;
    this.#latch = new SymmetricRtpLatch(latch);
    bound.socket.on('message', this.#onMessage);
    // Without a listener an 'error' event would throw out of the event loop.
    bound.socket.on('error', (err) => this.#logger.warn({ err }, 'caller RTP socket error'));
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

  get hasDestination(): boolean {
    return this.#latch.targetAddress !== undefined;
  }

  /** Sends `buf[0..length)` to the latched source or the SDP address. */
  send(buf: Buffer, length: number): void {
    const address = this.#latch.targetAddress;
    if (this.#closed || address === undefined) return;
    try {
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
    return this.#bound.release();
  }

  readonly #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const sink = this.#sink;
    if (sink === undefined) {
      this.#drops.unconfigured++;
      return;
    }
    const view = tryParseRtp(msg, this.#view);
    if (view === undefined) {
      this.#drops.malformed++;
      return;
    }
    const pt = view.payloadType;
    if (!sink.accepts(pt)) {
      // RFC 5761: RTCP types 192-223 show up here as 64-95 with the marker bit set.
      if (view.marker && pt >= 64 && pt <= 95) this.#drops.rtcp++;
      else this.#drops.payloadType++;
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
}
