/**
 * The caller side of a call's media: the RTP endpoint a phone (MEDIA_MODE=direct) or FreeSWITCH
 * (MEDIA_MODE=freeswitch) talks to. It owns the UDP port, symmetric-RTP latching (latch.ts), the
 * streams each negotiation sets up (caller-streams.ts: codec, packetizer, jitter-buffered receiver,
 * RTCP), RFC 4733 both ways, the media timeout, hold, and the prompt player and digit collector
 * of the PIN flow.
 *
 * Audio in both directions is 20 ms frames of mono PCM at `sampleRate` (8000 for G.711, 16000
 * for G.722 and Opus, L16's own clock rate for L16):
 *  - out: call sendPcm(frame) once per 20 ms tick (the engine's clock). While a prompt plays, the
 *    prompt has the line and sendPcm frames are dropped. On hold nothing is sent.
 *  - in: either call pullFrame() once per tick (the engine's clock), or register onPcm(handler)
 *    and the endpoint pulls on its own 20 ms clock. Use one or the other: both pull from the same
 *    jitter buffer.
 *
 * Lifecycle: create() → answer(offer) | offer() + acceptAnswer(answer) → reconfigure(offer) for
 * each re-INVITE → close() (idempotent; releases the port, stops every timer, and rejects a
 * pending play()/playAndCollect() with PromptCancelledError('closed')).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { silentLogger, type Logger } from '../../log.js';
import type { CallerInteraction, DigitCollectOptions, PromptName } from '../media-vocabulary.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import { dtmfEventCode } from '../rtp/dtmf.js';
import { PromptInteraction } from './caller-interaction.js';
import { CallerStreams } from './caller-streams.js';
import { DigitCollector } from './digit-collector.js';
import { DigitSourceMerger, type DigitSource } from './digit-sources.js';
import { CallerMediaStateError } from './errors.js';
import { FrameClock } from './frame-clock.js';
import { MediaTimeoutWatch } from './media-timeout.js';
import { PromptPlayer, type PromptSource } from './prompt-player.js';
import { CallerRtpTransport, type RtpPacketSink } from './rtp-transport.js';
import { newSdesKey } from './sdes.js';
import { acceptCallerAnswer, answerCallerOffer, createCallerOffer, type LocalMedia, type LocalSrtp } from './sdp-negotiation.js';
import type { CallerCodecName, CallerMediaParams } from './sdp-types.js';
import { SdpVersion } from './sdp-version.js';
import {
  collectStats,
  DEFAULT_MEDIA_TIMEOUT_MS,
  type CallerEndpointEvents,
  type CallerEndpointOptions,
  type CallerEndpointStats,
} from './endpoint-types.js';

export { DEFAULT_MEDIA_TIMEOUT_MS, type CallerEndpointEvents, type CallerEndpointOptions, type CallerEndpointStats };

/** With no sendPcm/prompt frames for this long, the endpoint's clock carries queued DTMF. */
const IDLE_SENDER_MS = 30;

export class CallerEndpoint extends TypedEmitter<CallerEndpointEvents> implements CallerInteraction {
  readonly #transport: CallerRtpTransport;
  readonly #logger: Logger;
  readonly #options: CallerEndpointOptions;
  readonly #announced: string;
  readonly #sessionId = String(randomInt(1, 2 ** 47));
  readonly #timeout: MediaTimeoutWatch;
  readonly #clock: FrameClock;
  readonly #player: PromptPlayer;
  readonly #collector = new DigitCollector();
  readonly #interaction: PromptInteraction;
  readonly #merger = new DigitSourceMerger();
  readonly #sdpVersion = new SdpVersion();
  /** CALLER_SRTP and our SDES key (one per endpoint, kept across re-offers); undefined when off. */
  readonly #srtp: LocalSrtp | undefined;
  /** Codecs we accept now: the options' list, or the one the last offer() was restricted to. */
  #codecs: readonly CallerCodecName[] | undefined;
  readonly #streams: CallerStreams;
  #pcmHandler: ((frame: Int16Array) => void) | undefined;
  #lastExternalTickMs = -Infinity;
  #closing: Promise<void> | undefined;

  static async create(options: CallerEndpointOptions): Promise<CallerEndpoint> {
    if (options.announcedAddress === undefined && (options.bindAddress === '0.0.0.0' || options.bindAddress === '::')) {
      throw new CallerMediaStateError(`binding ${options.bindAddress} needs an announcedAddress for SDP`);
    }
    const bound = await options.portAllocator.bind(options.bindAddress);
    let rtcp;
    if ((options.rtcp ?? 'on') === 'on') {
      // RTCP is worth a port only while the range has ports to spare; a call never fails for it.
      rtcp = await options.portAllocator.bindSpare(options.bindAddress, bound.port + 1).catch(() => undefined);
    }
    const transport = new CallerRtpTransport(bound, options.logger ?? silentLogger(), { relatchAfterSilenceMs: options.relatchAfterSilenceMs }, rtcp);
    return new CallerEndpoint(options, bound.address, transport);
  }

  private constructor(options: CallerEndpointOptions, boundAddress: string, transport: CallerRtpTransport) {
    super();
    this.#options = options;
    this.#logger = options.logger ?? silentLogger();
    this.#announced = options.announcedAddress ?? boundAddress;
    this.#transport = transport;
    this.#codecs = options.codecs;
    const policy = options.srtp ?? 'off';
    this.#srtp = policy === 'off' ? undefined : { policy, key: newSdesKey() };
    this.onListenerError((event, err) => this.#logger.error({ err, event }, 'caller endpoint listener failed'));
    this.#timeout = new MediaTimeoutWatch({
      timeoutMs: options.mediaTimeoutMs ?? DEFAULT_MEDIA_TIMEOUT_MS,
      onTimeout: () => {
        this.#logger.info('no RTP from the caller: media timeout');
        this.emit('mediaTimeout');
      },
      onResumed: () => {
        this.#logger.info('RTP from the caller resumed');
        this.emit('mediaResumed');
      },
    });
    this.#clock = new FrameClock((now) => this.#onClockTick(now));
    const missingPrompts: PromptSource = {
      get: () => {
        throw new CallerMediaStateError('no prompt store configured for this endpoint');
      },
    };
    const sampleRate = (): number => this.sampleRate;
    this.#player = new PromptPlayer(options.prompts ?? missingPrompts, {
      get sampleRate() {
        return sampleRate();
      },
      sendPromptFrame: (frame, now) => {
        // A codec change mid-prompt changes the frame size; frames of the old size are dropped.
        if (frame.length === this.frameSamples) this.#sendFrame(frame, now);
      },
    });
    this.#interaction = new PromptInteraction(this.#player, this.#collector);
    // The RTCP CNAME is random per call (RFC 7022): it says nothing about the host or the caller.
    this.#streams = new CallerStreams(
      transport,
      { ...options, cname: randomBytes(12).toString('base64url'), srtpKey: this.#srtp?.key },
      this.#sink,
      (digit) => this.#onDigit(digit, 'rtp'),
      this.#logger,
    );
  }

  /** Address and port written in our SDP. */
  get localAddress(): string {
    return this.#announced;
  }

  get localPort(): number {
    return this.#transport.localPort;
  }

  /** What was negotiated last; undefined before the first answer. */
  get negotiated(): CallerMediaParams | undefined {
    return this.#streams.params;
  }

  /** PCM rate of sendPcm/pullFrame frames; 0 until negotiated. */
  get sampleRate(): number {
    return this.#streams.codec?.sampleRate ?? 0;
  }

  /** Samples in one 20 ms frame; 0 until negotiated. */
  get frameSamples(): number {
    return this.#streams.codec?.frameSamples ?? 0;
  }

  get hasTelephoneEvent(): boolean {
    return this.#streams.params?.telephoneEventPt !== undefined;
  }

  /** On hold (either way): we may not send. */
  get sendingSuspended(): boolean {
    const d = this.#streams.params?.direction;
    return d !== 'sendrecv' && d !== 'sendonly';
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  // ---- SDP ----------------------------------------------------------------------------------------

  /** Answers the caller's offer (a re-offer once negotiated: see reconfigure). Throws SdpNegotiationError. */
  answer(offerSdp: string): string {
    this.#checkOpen();
    let params: CallerMediaParams | undefined;
    const sdp = this.#sdpVersion.build((version) => {
      const r = answerCallerOffer(offerSdp, this.#local(version));
      params = r.params;
      return r.answer;
    });
    this.#apply(params!);
    return sdp;
  }

  /**
   * A re-INVITE's offer: hold (sendonly/inactive/0.0.0.0 stop our sending), unhold, a codec
   * change, or a new address (which unlatches and latches again on the next packet).
   */
  reconfigure(offerSdp: string): string {
    return this.answer(offerSdp);
  }

  /**
   * Our offer (late-offer INVITE, dial-out). With `codecs` (FreeSWITCH's engine leg: L16 or the
   * phone's G.711) it lists exactly those, in that order, and they stay the only ones accepted:
   * by acceptAnswer() and by answers to later re-offers on this leg. Without, the options' list.
   */
  offer(codecs?: readonly CallerCodecName[]): string {
    this.#checkOpen();
    const chosen = codecs ?? this.#options.codecs;
    const sdp = this.#sdpVersion.build((version) => createCallerOffer({ ...this.#local(version), codecs: chosen }));
    this.#codecs = chosen;
    return sdp;
  }

  /** The caller's answer to offer(). Throws SdpNegotiationError. */
  acceptAnswer(answerSdp: string): void {
    this.#checkOpen();
    this.#apply(acceptCallerAnswer(answerSdp, { codecs: this.#codecs, ...(this.#srtp !== undefined ? { srtp: this.#srtp } : {}) }));
  }

  // ---- audio ----------------------------------------------------------------------------------------

  /**
   * Sends one 20 ms frame (frameSamples samples at sampleRate), unless a prompt or hold says no.
   * A frame of another size throws RangeError.
   */
  sendPcm(frame: Int16Array): void {
    if (this.#streams.sender === undefined || this.#player.playing || this.#closing !== undefined) return;
    if (frame.length !== this.frameSamples) {
      throw new RangeError(`caller frames are ${this.frameSamples} samples at ${this.sampleRate} Hz, got ${frame.length}`);
    }
    this.#sendFrame(frame, performance.now());
  }

  /** The caller's next 20 ms (see CallerRtpReceiver.pull: reused array, undefined when none). */
  pullFrame(): Int16Array | undefined {
    return this.#streams.receiver?.pull();
  }

  /** Pulls on the endpoint's own 20 ms clock and hands each frame to `handler`; undefined stops. */
  onPcm(handler: ((frame: Int16Array) => void) | undefined): void {
    this.#pcmHandler = this.#closing === undefined ? handler : undefined;
    this.#updateClock();
  }

  // ---- DTMF ---------------------------------------------------------------------------------------

  /**
   * Sends digits by RFC 4733, voice suppressed while each event lasts. Throws
   * CallerMediaStateError before negotiation or when the caller has no telephone-event (then
   * the SIP layer should use INFO).
   */
  sendDtmf(digits: string, durationMs?: number): void {
    this.#checkOpen();
    for (const d of digits) dtmfEventCode(d);
    if (this.#streams.sender === undefined) throw new CallerMediaStateError('caller media not negotiated yet');
    if (!this.#streams.sender.queueDtmf(digits, durationMs)) {
      throw new CallerMediaStateError('caller did not negotiate telephone-event');
    }
    this.#updateClock();
  }

  /** A digit the SIP layer received by INFO; handled like an RFC 4733 one. */
  pushDigit(digit: string): void {
    dtmfEventCode(digit);
    if (this.#closing === undefined) this.#onDigit(digit.toUpperCase(), 'info');
  }

  // ---- prompts (CallerInteraction) ------------------------------------------------------------------

  play(prompt: PromptName): Promise<void> {
    if (this.#closing === undefined && this.#streams.codec === undefined) {
      return Promise.reject(new CallerMediaStateError('caller media not negotiated yet'));
    }
    return this.#interaction.play(prompt);
  }

  /** Cuts a prompt short (its play() resolves); the caller hears the meeting again at once. */
  stopPrompt(): void {
    this.#player.stop();
  }

  playAndCollect(prompt: PromptName, opts: DigitCollectOptions): Promise<string> {
    if (this.#closing === undefined && this.#streams.codec === undefined) {
      return Promise.reject(new CallerMediaStateError('caller media not negotiated yet'));
    }
    return this.#interaction.playAndCollect(prompt, opts);
  }

  // ---- stats and teardown ---------------------------------------------------------------------------

  stats(): CallerEndpointStats {
    return collectStats({
      params: this.#streams.params,
      sampleRate: this.sampleRate,
      localPort: this.localPort,
      receiver: this.#streams.receiver?.counters(),
      sender: this.#streams.sender?.counters,
      latch: this.#transport.latch,
      drops: this.#transport.drops,
      srtp: this.#transport.encrypted ? this.#streams.params?.srtp?.suite : undefined,
      rtcp: this.#streams.rtcp?.stats(),
      mediaTimedOut: this.#timeout.timedOut,
    });
  }

  /** Idempotent: stops prompts, collection and timers, frees codec state and the port. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#player.close();
    this.#collector.close();
    this.#clock.stop();
    this.#streams.close();
    this.#timeout.close();
    this.#pcmHandler = undefined;
    this.#closing = this.#transport.close();
    return this.#closing;
  }

  // ---- internals ----------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new CallerMediaStateError('caller endpoint is closed');
  }

  #local(sessionVersion: number): LocalMedia {
    return {
      address: this.#announced,
      port: this.localPort,
      codecs: this.#codecs,
      sessionId: this.#sessionId,
      sessionVersion,
      ...(this.#srtp !== undefined ? { srtp: this.#srtp } : {}),
      ...(this.#transport.rtcpPort !== undefined ? { rtcpPort: this.#transport.rtcpPort } : {}),
    };
  }

  #apply(params: CallerMediaParams): void {
    this.#streams.apply(params);
    // Only a two-way call owes us packets; many phones send nothing while they hold.
    this.#timeout.arm(params.direction === 'sendrecv');
    this.#logger.debug(
      // The suite only: keys never reach a log.
      { codec: params.codec.name, pt: params.codec.payloadType, remote: `${params.remoteAddress}:${params.remotePort}`, direction: params.direction, srtp: params.srtp?.suite ?? 'off' },
      'caller media negotiated',
    );
  }

  readonly #sink: RtpPacketSink = {
    accepts: (pt) => this.#streams.receiver!.accepts(pt),
    onPacket: (view, length, now) => {
      this.#timeout.packet(now);
      this.#streams.rtcp?.onRtp(view.ssrc, view.sequenceNumber, view.timestamp, view.payloadType !== this.#streams.params?.telephoneEventPt, now);
      this.#streams.receiver!.receive(view, length, now);
    },
    onRtcp: (packet, now) => this.#streams.rtcp?.onRtcp(packet, now),
    onLatched: (address, port) => {
      this.#logger.info({ address, port }, 'caller RTP latched');
      this.emit('latched', address, port);
    },
  };

  #sendFrame(frame: Int16Array, now: number): void {
    const sender = this.#streams.sender;
    if (sender === undefined) return;
    this.#lastExternalTickMs = now;
    sender.tick(frame, !this.sendingSuspended && this.#transport.hasDestination, now);
  }

  #onDigit(digit: string, source: DigitSource): void {
    if (!this.#merger.accept(digit, source, performance.now())) return;
    this.#collector.push(digit);
    this.emit('dtmf', digit, source);
  }

  #updateClock(): void {
    const needed = this.#closing === undefined && (this.#pcmHandler !== undefined || (this.#streams.sender?.dtmfBusy ?? false));
    if (needed) this.#clock.start();
    else this.#clock.stop();
  }

  #onClockTick(now: number): void {
    const sender = this.#streams.sender;
    if (sender !== undefined && sender.dtmfBusy && now - this.#lastExternalTickMs > IDLE_SENDER_MS) {
      // Nobody is sending audio: carry the digits on our own clock.
      sender.tick(undefined, !this.sendingSuspended && this.#transport.hasDestination, now);
    }
    const handler = this.#pcmHandler;
    if (handler !== undefined) {
      const frame = this.#streams.receiver?.pull();
      if (frame !== undefined) {
        try {
          handler(frame);
        } catch (err) {
          this.#logger.error({ err }, 'caller PCM handler failed');
        }
      }
    }
    this.#updateClock();
  }
}
