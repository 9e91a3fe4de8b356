import type { BridgeFailureReason } from '../bridge/errors.js';
/**
 * One call's media (CallMedia): the caller side is the CallerEndpoint (SDP, latching, hold,
 * RFC 4733, prompts), the conference side a BridgeLeg (ICE/DTLS/SRTP to the JVB) with the Opus
 * uplink and minimal RTCP; audio between them moves on the engine's clock, through the room's
 * mixer while the call is in a room, alone (caller hears silence) before and between sessions.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../log.js';
import type { DigitCollectOptions, IceCandidate, NegotiatedAudio, PromptName } from '../media-vocabulary.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type {
  BridgeLocal,
  BridgeRemote,
  CallMedia,
  CallMediaEvents,
  CallMediaStats,
  RemoteAudioSource,
} from '../call-media.js';
import type { CallerAudioFilter } from '../audio/noise-suppressor.js';
import type { DigitSource } from '../caller/digit-sources.js';
import type { CallerCodecName } from '../caller/sdp-types.js';
import type { RemoteTransportParameters } from '../bridge/types.js';
import { BridgeLeg, type BridgeLegOptions } from './bridge-leg.js';
import { BridgeReceiver } from './bridge-receiver.js';
import { ntpFromUnixMs, ntpMiddle32 } from '../rtp/rtcp.js';
import { feedbackFields, ReportFeedback } from '../rtp/rtcp-feedback.js';
import { buildCompoundReport } from '../rtp/rtcp-reports.js';
import { BridgeUplink } from './bridge-uplink.js';
import type { CallerSide, CallMediaHost, EngineCallDetails, EngineCallSettings } from './engine-types.js';
import { CallMediaStateError } from './errors.js';
import type { RoomMedia, RoomMember } from './room-media.js';

export class EngineCallMedia extends TypedEmitter<CallMediaEvents> implements CallMedia, RoomMember {
  readonly callId: string;
  readonly ssrc: number;
  readonly #cname = randomBytes(12).toString('hex');
  readonly #msid = `${randomBytes(8).toString('hex')} ${randomBytes(8).toString('hex')}`;
  readonly #caller: CallerSide;
  readonly #host: CallMediaHost;
  readonly #settings: EngineCallSettings;
  readonly #log: Logger;
  readonly #leg: BridgeLeg;
  readonly #uplink: BridgeUplink;
  readonly #receiver: BridgeReceiver;
  readonly #feedback: ReportFeedback;
  /** Noise suppression of the caller's audio, when the call has it. */
  readonly #filter: CallerAudioFilter | undefined;
  #room: RoomMedia | undefined;
  #muted = false;
  readonly #silence8 = new Int16Array(160);
  readonly #silence16 = new Int16Array(320);
  #nextRtcpMs = Infinity;
  #closing: Promise<void> | undefined;

  static async create(
    callId: string,
    caller: CallerSide,
    legOptions: Omit<BridgeLegOptions, 'logger'>,
    host: CallMediaHost,
    settings: EngineCallSettings,
    logger: Logger,
    filter?: CallerAudioFilter,
  ): Promise<EngineCallMedia> {
    // The leg's handlers exist before the call does; the receiver is ready for the first packet.
    let call: EngineCallMedia | undefined;
    let digit = (_: string): void => {};
    const receiver = new BridgeReceiver((d) => digit(d));
    const leg = await BridgeLeg.create(
      { ...legOptions, logger },
      {
        rtp: (p) => receiver.rtp(p),
        prefilter: (p) => receiver.prefilter(p),
        rtcp: (p) => {
          receiver.rtcp(p);
          if (call !== undefined) call.#feedback.onRtcp(p, performance.now());
        },
        connected: () => {
          if (call !== undefined) call.#onBridgeConnected();
        },
        failed: (reason, message) => {
          if (call !== undefined) call.#onBridgeFailed(reason, message);
        },
      },
    );
    const made = new EngineCallMedia(callId, caller, leg, receiver, host, settings, logger, filter);
    digit = (d) => made.emit('bridgeDtmf', d);
    call = made;
    return made;
  }

  private constructor(
    callId: string,
    caller: CallerSide,
    leg: BridgeLeg,
    receiver: BridgeReceiver,
    host: CallMediaHost,
    settings: EngineCallSettings,
    logger: Logger,
    filter: CallerAudioFilter | undefined,
  ) {
    super();
    this.#filter = filter;
    this.callId = callId;
    this.ssrc = randomInt(1, 0xffffffff);
    this.#caller = caller;
    this.#leg = leg;
    this.#host = host;
    this.#settings = settings;
    this.#log = logger;
    this.#uplink = new BridgeUplink({ ...settings.uplink, ssrc: this.ssrc });
    this.#receiver = receiver;
    this.#feedback = new ReportFeedback(this.ssrc);
    this.onListenerError((event, err) => this.#log.error({ err, event }, 'call media listener threw'));
    caller.on('dtmf', this.#onCallerDigit);
    caller.on('mediaTimeout', this.#onCallerTimeout);
    caller.on('mediaResumed', this.#onCallerResumed);
  }

  // ---- caller side ------------------------------------------------------------------------------

  answerCaller(offerSdp: string): string {
    this.#checkOpen();
    return this.#caller.answer(offerSdp);
  }

  offerToCaller(codecs?: readonly CallerCodecName[]): string {
    this.#checkOpen();
    return this.#caller.offer(codecs);
  }

  acceptCallerAnswer(answerSdp: string): void {
    this.#checkOpen();
    this.#caller.acceptAnswer(answerSdp);
  }

  get callerHasTelephoneEvent(): boolean {
    return this.#caller.hasTelephoneEvent;
  }

  play(prompt: PromptName): Promise<void> {
    return this.#caller.play(prompt);
  }

  playAndCollect(prompt: PromptName, opts: DigitCollectOptions): Promise<string> {
    return this.#caller.playAndCollect(prompt, opts);
  }

  pushCallerDigit(digit: string): void {
    if (this.#closing === undefined) this.#caller.pushDigit(digit);
  }

  stopPrompt(): void {
    this.#caller.stopPrompt();
  }

  sendDtmfToCaller(digit: string): void {
    this.#checkOpen();
    this.#caller.sendDtmf(digit);
  }

  // ---- bridge side ------------------------------------------------------------------------------

  bridgeLocal(): BridgeLocal {
    this.#checkOpen();
    const p = this.#leg.localParameters();
    return { ...p, ssrc: this.ssrc, cname: this.#cname, msid: this.#msid };
  }

  async bridgeReady(): Promise<void> {
    this.#checkOpen();
    await this.#leg.ready();
  }

  async connectBridge(roomJid: string, remote: BridgeRemote, audio: NegotiatedAudio, sources: readonly RemoteAudioSource[]): Promise<void> {
    this.#checkOpen();
    if (this.#room !== undefined) this.disconnectBridge();
    this.#receiver.audio = audio;
    this.#uplink.setFormat({
      payloadType: audio.opusPt,
      audioLevelExtId: audio.audioLevelExtId,
      midExtId: audio.midExtId,
      mid: audio.mid,
    });
    this.#room = this.#host.joinRoom(roomJid, this);
    this.#receiver.room = this.#room;
    this.#room.setOwners(sources);
    this.#log.info({ room: roomJid, ssrc: this.ssrc }, 'connecting to the bridge');
    await this.#leg.connect(transportParameters(remote));
  }

  addBridgeCandidates(candidates: readonly IceCandidate[]): void {
    if (this.#closing === undefined) this.#leg.addCandidates(candidates);
  }

  restartBridge(remote: BridgeRemote): Promise<void> {
    this.#checkOpen();
    return this.#leg.restart(transportParameters(remote));
  }

  disconnectBridge(): void {
    const room = this.#room;
    this.#room = undefined;
    this.#receiver.room = undefined;
    if (room !== undefined) this.#host.leaveRoom(room, this);
    this.#leg.disconnect();
    this.#receiver.reset();
    this.#feedback.reset();
    this.#nextRtcpMs = Infinity;
  }

  setRemoteSources(sources: readonly RemoteAudioSource[]): void {
    this.#room?.setOwners(sources);
  }

  setMuted(muted: boolean): void {
    if (muted !== this.#muted) this.#log.info({ muted }, 'moderator mute changed');
    this.#muted = muted;
  }

  // ---- the engine's clock -----------------------------------------------------------------------

  get callerRate(): number {
    return this.#caller.sampleRate;
  }

  /** RoomMember: the caller's frame goes to the bridge, and to the room unless muted. */
  uplink(nowMs: number): Int16Array | undefined {
    const frame = this.#caller.pullFrame();
    if (!this.#leg.connected) return undefined;
    // Only what reaches the meeting is worth denoising (the pulled frame is ours to change).
    if (frame !== undefined && this.#filter !== undefined && !this.#muted) this.#filter.process(frame);
    this.#uplink.tick(frame, this.#muted, nowMs, this.#send);
    return this.#muted ? undefined : frame;
  }

  /** RoomMember: the room's mix (minus ourselves) to the caller; silence until connected. */
  downlink(mix: Int16Array): void {
    if (this.#leg.connected) this.#caller.sendPcm(mix);
    else this.#sendSilence();
  }

  /** RoomMember: frames of the caller that the engine had no tick for. */
  discardCallerFrames(frames: number): void {
    for (let i = 0; i < frames; i++) if (this.#caller.pullFrame() === undefined) break;
  }

  /** A tick outside any room (before the bridge, in the resume window): the caller hears silence. */
  tickAlone(): void {
    this.#caller.pullFrame();
    this.#sendSilence();
  }

  /** Per-tick checks without timers of their own: bridge media timeout (not just after a stall), RTCP. */
  housekeeping(nowMs: number, judgeTimeouts = true): void {
    if (!this.#leg.connected) return;
    const timeoutMs = this.#settings.bridgeMediaTimeoutMs;
    if (judgeTimeouts && this.#receiver.timedOut(nowMs, timeoutMs)) {
      this.#log.warn({ afterMs: timeoutMs }, 'no media from the bridge');
      this.emit('bridgeMediaTimeout');
    }
    if (nowMs >= this.#nextRtcpMs) {
      this.#nextRtcpMs = nowMs + this.#settings.rtcpIntervalMs;
      this.#sendReport(nowMs);
    }
  }

  // ---- stats and teardown -----------------------------------------------------------------------

  stats(): CallMediaStats {
    const c = this.#caller.stats();
    const b = this.#leg.stats();
    return {
      caller: {
        packetsReceived: c.packetsIn,
        packetsLost: c.packetsLost,
        packetsSent: c.packetsOut,
        jitterMs: c.jitterMs,
        ...(c.codec !== undefined ? { codec: c.codec } : {}),
        ...(c.latchedTo !== undefined ? { latchedTo: c.latchedTo } : {}),
        ...(c.srtp !== undefined ? { srtp: c.srtp } : {}),
        srtpDropped: c.dropped.srtpAuth + c.dropped.srtpReplay,
        ...(c.rtcp !== undefined ? feedbackFields(c.rtcp) : {}),
        ...(this.#filter !== undefined ? { denoisedFrames: this.#filter.frames } : {}),
      },
      bridge: {
        packetsReceived: b.rtpIn,
        packetsLost: this.#receiver.lost,
        packetsSent: b.rtpOut,
        srtpFailures: b.srtpAuthFailures,
        connected: this.#leg.connected,
        jitterMs: this.#receiver.jitterMs,
        ...this.#feedback.statsFields(),
      },
    };
  }

  /** Engine-level details for tests, benchmarks and the operator's stats. */
  details(): EngineCallDetails {
    const r = this.#receiver.counters;
    return {
      room: this.#room?.jid,
      muted: this.#muted,
      uplink: { ...this.#uplink.counters },
      bridgeDigits: r.digits,
      malformedFromBridge: r.malformed,
      unknownPayloadFromBridge: r.unknownPayloadType,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#teardown();
    return this.#closing;
  }

  async #teardown(): Promise<void> {
    // Leave the room first, so that no tick touches a half-closed call.
    const room = this.#room;
    this.#room = undefined;
    if (room !== undefined) this.#host.leaveRoom(room, this);
    this.#host.released(this);
    this.#caller.off('dtmf', this.#onCallerDigit);
    this.#caller.off('mediaTimeout', this.#onCallerTimeout);
    this.#caller.off('mediaResumed', this.#onCallerResumed);
    const results = await Promise.allSettled([this.#leg.close(), this.#caller.close()]);
    this.#uplink.close();
    this.#filter?.close();
    for (const r of results) if (r.status === 'rejected') this.#log.warn({ err: r.reason }, 'closing call media failed in part');
    this.removeAllListeners();
  }

  // ---- bridge events --------------------------------------------------------------------------

  #onBridgeConnected(): void {
    const now = performance.now();
    this.#receiver.connected(now);
    // The first report soon after connecting, then at the regular interval.
    this.#nextRtcpMs = now + Math.min(1000, this.#settings.rtcpIntervalMs);
    this.emit('bridgeConnected');
  }

  #onBridgeFailed(reason: BridgeFailureReason, message: string): void {
    this.#log.warn({ reason }, `bridge transport failed: ${message}`);
    this.emit('bridgeFailed', reason);
  }

  readonly #send = (packet: Buffer): boolean => this.#leg.sendRtp(packet);

  #sendReport(nowMs: number): void {
    const u = this.#uplink;
    const wallMs = Date.now();
    const ntp = ntpFromUnixMs(wallMs);
    // The time it really leaves (not the tick's), as the round trip is measured against it.
    this.#feedback.sentReport(ntpMiddle32(ntp.seconds, ntp.fraction), performance.now());
    const report = buildCompoundReport(
      {
        ssrc: this.ssrc,
        cname: this.#cname,
        packets: u.counters.packets,
        octets: u.counters.bytes,
        lastRtpTimestamp: u.lastRtpTimestamp,
        lastSendMs: u.lastSendMs,
      },
      this.#receiver.reportBlocks(nowMs),
      nowMs,
      wallMs,
    );
    this.#leg.sendRtcp(report);
  }

  #sendSilence(): void {
    const rate = this.#caller.sampleRate;
    if (rate === 8000) this.#caller.sendPcm(this.#silence8);
    else if (rate === 16000) this.#caller.sendPcm(this.#silence16);
  }

  readonly #onCallerDigit = (digit: string, source: DigitSource): void => {
    if (source === 'rtp') this.emit('callerDtmf', digit);
  };

  readonly #onCallerTimeout = (): void => {
    this.emit('callerMediaTimeout');
  };

  readonly #onCallerResumed = (): void => {
    this.emit('callerMediaResumed');
  };

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new CallMediaStateError('call media is closed');
  }
}

function transportParameters(remote: BridgeRemote): RemoteTransportParameters {
  return {
    ufrag: remote.ufrag,
    pwd: remote.pwd,
    candidates: [...remote.candidates],
    fingerprints: remote.fingerprints.map((f) => ({ hash: f.hash, value: f.value })),
  };
}
