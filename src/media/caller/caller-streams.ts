/**
 * What one negotiation of a caller endpoint sets up: the codec, the packetizer, the jitter-buffered
 * receiver and the RTCP reports, kept across re-offers (a codec change swaps the codec and keeps
 * the streams' sequence and timestamp continuity), and the transport told where, how and whether
 * to send. The endpoint owns the lifecycle, prompts and digits; this owns the streams.
 */
import type { Logger } from '../../log.js';
import type { AudioCodec } from '../codecs/codec.js';
import { createCodec } from '../codecs/factory.js';
import { CallerRtcp } from './caller-rtcp.js';
import type { CallerEndpointOptions } from './endpoint-types.js';
import { CallerRtpReceiver } from './rtp-receiver.js';
import { CallerRtpSender } from './rtp-sender.js';
import type { CallerRtpTransport, RtpPacketSink } from './rtp-transport.js';
import type { CallerMediaParams } from './sdp-types.js';

export type CallerStreamOptions = Pick<CallerEndpointOptions, 'opus' | 'jitter' | 'rtcp' | 'rtcpIntervalMs'> & {
  /** RTCP CNAME of the call. */
  cname: string;
  /** Our SDES key when CALLER_SRTP is on (the far end's comes with each negotiation). */
  srtpKey: Buffer | undefined;
};

export class CallerStreams {
  #params: CallerMediaParams | undefined;
  #codec: AudioCodec | undefined;
  #sender: CallerRtpSender | undefined;
  #receiver: CallerRtpReceiver | undefined;
  #rtcp: CallerRtcp | undefined;

  constructor(
    private readonly transport: CallerRtpTransport,
    private readonly options: CallerStreamOptions,
    /** Receives the caller's packets once the first negotiation created the receiver. */
    private readonly sink: RtpPacketSink,
    private readonly onRtpDigit: (digit: string) => void,
    private readonly logger: Logger,
  ) {}

  get params(): CallerMediaParams | undefined {
    return this.#params;
  }

  get codec(): AudioCodec | undefined {
    return this.#codec;
  }

  get sender(): CallerRtpSender | undefined {
    return this.#sender;
  }

  get receiver(): CallerRtpReceiver | undefined {
    return this.#receiver;
  }

  get rtcp(): CallerRtcp | undefined {
    return this.#rtcp;
  }

  /** A negotiation's outcome (first answer, or a re-offer: hold, codec change, new address). */
  apply(params: CallerMediaParams): void {
    const prev = this.#params;
    const oldCodec = this.#codec;
    let codec = oldCodec;
    if (codec === undefined || prev === undefined || prev.codec.name !== params.codec.name) {
      codec = createCodec(params.codec.encoding, { sampleRate: params.codec.sampleRate, opus: this.options.opus });
    }
    const format = { codec, payloadType: params.codec.payloadType, telephoneEventPt: params.telephoneEventPt };
    if (this.#sender === undefined) {
      this.#sender = new CallerRtpSender(format, (buf, length) => this.transport.send(buf, length));
    } else {
      this.#sender.setFormat(format);
    }
    if (this.#receiver === undefined) {
      this.#receiver = new CallerRtpReceiver(format, this.onRtpDigit, this.options.jitter);
      this.transport.setSink(this.sink);
    } else {
      this.#receiver.setFormat(format);
    }
    this.#codec = codec;
    if (oldCodec !== undefined && oldCodec !== codec) oldCodec.close?.();
    this.#params = params;
    this.transport.setSignalled(params.remoteAddress, params.remotePort);
    this.transport.setSrtp(params.srtp, this.options.srtpKey);
    this.transport.setRtcp(params.rtcpMux, params.remoteRtcpPort);
    this.#updateRtcp(params.codec.rtpClockRate);
  }

  /** Stops the reports and frees the codec's state; the transport is the endpoint's to close. */
  close(): void {
    this.#rtcp?.stop();
    try {
      this.#codec?.close?.();
    } catch (err) {
      this.logger.warn({ err }, 'closing the caller codec failed');
    }
  }

  /** Reports with the phone once the call can exchange them (CALLER_RTCP, rtcp-mux or our RTCP port). */
  #updateRtcp(clockRate: number): void {
    if (this.#rtcp !== undefined) {
      this.#rtcp.setClockRate(clockRate);
      return;
    }
    const sender = this.#sender;
    if ((this.options.rtcp ?? 'on') === 'off' || !this.transport.hasRtcp || sender === undefined) return;
    this.#rtcp = CallerRtcp.start(sender, { clockRate, cname: this.options.cname, intervalMs: this.options.rtcpIntervalMs }, (packet) =>
      this.transport.sendRtcp(packet),
    );
  }
}
