/**
 * One call's media in MEDIA_MODE=freeswitch. FreeSWITCH owns the phone's side: it answers the
 * phone's SDP (codecs, SRTP, jitter buffer), plays prompts and collects digits. A second
 * FreeSWITCH channel carries the audio to the media engine's RTP endpoint, which does everything
 * toward the bridge exactly as in direct mode. The two channels are bridged inside FreeSWITCH
 * while the call is in the meeting and no prompt plays.
 *
 *   phone ⇄ FreeSWITCH ep "phone" ═ uuid_bridge ═ ep "engine" ⇄ engine RTP endpoint ⇄ JVB
 */
import type { Logger } from '../../log.js';
import type { DigitCollectOptions, IceCandidate, NegotiatedAudio, PromptName } from '../media-vocabulary.js';
import { TypedEmitter } from '../../util/typed-emitter.js';
import type { BridgeLocal, BridgeRemote, CallMedia, CallMediaEvents, CallMediaStats, RemoteAudioSource } from '../call-media.js';
import { engineLegCodecs, phoneCodecOf } from './engine-leg-codecs.js';
import { offerForFreeswitch } from './sdes-offer.js';
import type { FsDestroyEvent, FsEndpoint, FsMediaServer } from './fs-types.js';
import { PacketFlowWatch } from './packet-flow-watch.js';

export interface FreeswitchCallSettings {
  /** Directory, as FreeSWITCH sees it, holding the prompts as `<name>.wav`. */
  promptDir: string;
  /** Time without the phone's RTP (while bridged) before callerMediaTimeout; 0 turns it off. */
  callerRtpTimeoutMs: number;
  /** How long close() waits for FreeSWITCH to confirm each channel's hangup. */
  destroyTimeoutMs?: number;
}

/**
 * Stands in for the phone's offer until the phone answers ours: G.711 first, so FreeSWITCH picks
 * the codec every phone has; the discard port, so nothing audible goes anywhere meanwhile.
 */
function placeholderOffer(): string {
  return [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 9 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

const FORWARDED_EVENTS = ['bridgeConnected', 'bridgeFailed', 'bridgeMediaTimeout', 'bridgeDtmf', 'mediaLost'] as const;

export class FreeswitchCallMedia extends TypedEmitter<CallMediaEvents> implements CallMedia {
  #phone: FsEndpoint | undefined;
  #engineLeg: FsEndpoint | undefined;
  #inMeeting = false;
  #prompting = 0;
  #collecting = false;
  #bridged = false;
  /** Bridge/unbridge commands run one after another, in the order the state changed. */
  #bridgeOps: Promise<void> = Promise.resolve();
  #failed = false;
  #closing: Promise<void> | undefined;
  readonly #rtpWatch: PacketFlowWatch;

  constructor(
    private readonly ms: FsMediaServer,
    /** The engine's media for this call; its caller side faces FreeSWITCH, not the phone. */
    private readonly inner: CallMedia,
    private readonly settings: FreeswitchCallSettings,
    private readonly log: Logger,
    /** Told once when close() starts, so the owner stops counting the call. */
    private readonly released: (call: FreeswitchCallMedia) => void = () => undefined,
  ) {
    super();
    this.onListenerError((event, err) => this.log.error({ err, event }, 'call media listener threw'));
    for (const name of FORWARDED_EVENTS) {
      inner.on(name, (...args: unknown[]) => (this.emit as (e: string, ...a: unknown[]) => void)(name, ...args));
    }
    // The engine's own caller-RTP timeout is off in this mode (FreeSWITCH's leg is silent while
    // not bridged); the phone's RTP is watched here, while bridged (packet-flow-watch.ts).
    this.#rtpWatch = new PacketFlowWatch({
      timeoutMs: settings.callerRtpTimeoutMs,
      count: () => inner.stats().caller.packetsReceived,
      onTimeout: () => {
        if (this.#closing === undefined) this.emit('callerMediaTimeout');
      },
      onResumed: () => {
        if (this.#closing === undefined) this.emit('callerMediaResumed');
      },
    });
  }

  // ---- caller side ------------------------------------------------------------------------------

  async answerCaller(offerSdp: string): Promise<string> {
    this.#checkOpen();
    const phone = this.#phone;
    if (phone !== undefined) {
      // A re-INVITE (hold, unhold, new address or codec): FreeSWITCH renegotiates with the phone;
      // its leg toward the engine is untouched and FreeSWITCH transcodes if the codec changed.
      await phone.modify(offerForFreeswitch(offerSdp));
      return phone.local.sdp;
    }
    const t0 = performance.now();
    const ep = await this.#adoptPhone(await this.ms.createEndpoint({ remoteSdp: offerForFreeswitch(offerSdp) }));
    const t1 = performance.now();
    await this.#connectEngineLeg(ep.local.sdp);
    this.log.debug({ phoneLegMs: Math.round(t1 - t0), engineLegMs: Math.round(performance.now() - t1) }, 'FreeSWITCH answered the phone');
    return ep.local.sdp;
  }

  async offerToCaller(): Promise<string> {
    this.#checkOpen();
    if (this.#phone !== undefined) return this.#phone.local.sdp;
    // No offer from the phone (late-offer INVITE, dial-out). Letting FreeSWITCH write the offer
    // (an INVITE without SDP) makes it offer best-effort SRTP as two m-lines and then insist on
    // SRTP whatever the phone answers. Instead FreeSWITCH answers a placeholder offer, and its
    // answer (its address, one codec, telephone-event) is our offer to the phone; the phone's
    // answer then reaches FreeSWITCH as a re-INVITE (acceptCallerAnswer).
    const ep = await this.#adoptPhone(await this.ms.createEndpoint({ remoteSdp: placeholderOffer() }));
    return ep.local.sdp;
  }

  async acceptCallerAnswer(answerSdp: string): Promise<void> {
    this.#checkOpen();
    const phone = this.#phone;
    if (phone === undefined) throw new Error('acceptCallerAnswer() before offerToCaller()');
    await phone.modify(answerSdp);
    if (this.#engineLeg === undefined) await this.#connectEngineLeg(phone.local.sdp);
  }

  get callerHasTelephoneEvent(): boolean {
    return /telephone-event/i.test(this.#phone?.local.sdp ?? '');
  }

  async play(prompt: PromptName): Promise<void> {
    const phone = this.#phone;
    if (phone === undefined || this.#closing !== undefined) return;
    await this.#whilePrompting(async () => {
      await phone.play(this.#promptFile(prompt));
    });
  }

  async playAndCollect(prompt: PromptName, opts: DigitCollectOptions): Promise<string> {
    const phone = this.#phone;
    if (phone === undefined || this.#closing !== undefined) return '';
    return this.#whilePrompting(async () => {
      this.#collecting = true;
      try {
        const result = await phone.playCollect({
          file: this.#promptFile(prompt),
          min: 1,
          max: opts.maxDigits,
          tries: 1,
          timeout: opts.firstDigitTimeoutMs,
          digitTimeout: opts.interDigitTimeoutMs,
          terminators: opts.terminator,
          regexp: '[0-9*]+',
        });
        return result.digits ?? '';
      } finally {
        this.#collecting = false;
      }
    });
  }

  pushCallerDigit(digit: string): void {
    // A digit from SIP INFO reaches FreeSWITCH's collector as if the phone had sent it in RTP.
    if (!this.#collecting || this.#phone === undefined || !/^[0-9*#A-D]$/i.test(digit)) return;
    this.#phone.api('uuid_recv_dtmf', `${this.#phone.uuid} ${digit}`).catch((err: unknown) => this.log.debug({ err }, 'digit not injected'));
  }

  stopPrompt(): void {
    if (this.#prompting === 0 || this.#phone === undefined) return;
    this.#phone.api('uuid_break', `${this.#phone.uuid} all`).catch((err: unknown) => this.log.debug({ err }, 'prompt not stopped'));
  }

  sendDtmfToCaller(digit: string): void {
    // Straight from FreeSWITCH's phone channel, so it works bridged or not and in the phone's
    // own DTMF method.
    if (this.#phone === undefined || !/^[0-9*#A-D]$/i.test(digit)) return;
    this.#phone.api('uuid_send_dtmf', `${this.#phone.uuid} ${digit}`).catch((err: unknown) => this.log.debug({ err }, 'digit not sent'));
  }

  // ---- bridge side: the engine's, unchanged ----------------------------------------------------

  bridgeLocal(): BridgeLocal | Promise<BridgeLocal> {
    return this.inner.bridgeLocal();
  }

  bridgeReady(): Promise<void> {
    return this.inner.bridgeReady();
  }

  async connectBridge(roomJid: string, remote: BridgeRemote, audio: NegotiatedAudio, sources: readonly RemoteAudioSource[]): Promise<void> {
    this.#inMeeting = true;
    this.#syncBridge();
    await this.inner.connectBridge(roomJid, remote, audio, sources);
  }

  addBridgeCandidates(candidates: readonly IceCandidate[]): void {
    this.inner.addBridgeCandidates(candidates);
  }

  restartBridge(remote: BridgeRemote): Promise<void> {
    return this.inner.restartBridge(remote);
  }

  disconnectBridge(): void {
    this.inner.disconnectBridge();
  }

  setRemoteSources(sources: readonly RemoteAudioSource[]): void {
    this.inner.setRemoteSources(sources);
  }

  setMuted(muted: boolean): void {
    this.inner.setMuted(muted);
  }

  get workerIndex(): number | undefined {
    return this.inner.workerIndex;
  }

  stats(): CallMediaStats {
    const s = this.inner.stats();
    const phone = this.#phone === undefined ? undefined : phoneCodecOf(this.#phone.local.sdp);
    return { ...s, caller: { ...s.caller, ...(phone !== undefined ? { codec: phone.name } : {}) } };
  }

  /** FreeSWITCH (or the connection to it) is gone: every channel of this call went with it. */
  mediaServerLost(reason: string): void {
    this.#fail(`FreeSWITCH connection lost: ${reason}`);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  // ---- internals --------------------------------------------------------------------------------

  async #close(): Promise<void> {
    this.released(this);
    this.#rtpWatch.stop();
    const eps = [this.#phone, this.#engineLeg].filter((e): e is FsEndpoint => e !== undefined);
    await Promise.all(eps.map((ep) => this.#destroy(ep)));
    await this.inner.close();
  }

  async #destroy(ep: FsEndpoint): Promise<void> {
    ep.removeAllListeners();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.settings.destroyTimeoutMs ?? 2000);
    });
    try {
      await Promise.race([ep.destroy().catch((err: unknown) => this.log.debug({ err }, 'FreeSWITCH channel hangup failed')), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #adoptPhone(ep: FsEndpoint): Promise<FsEndpoint> {
    if (this.#closing !== undefined) {
      await this.#destroy(ep);
      throw new Error('call media closed while FreeSWITCH answered');
    }
    this.#phone = ep;
    ep.on('dtmf', (ev) => {
      if (this.#closing === undefined) this.emit('callerDtmf', ev.dtmf);
    });
    ep.on('destroy', (ev) => this.#phoneGone(ev));
    await this.#keepAfterBridge(ep);
    return ep;
  }

  async #connectEngineLeg(phoneSdp: string): Promise<void> {
    const offer = await this.inner.offerToCaller(engineLegCodecs(phoneSdp));
    const ep = await this.ms.createEndpoint({ remoteSdp: offer });
    if (this.#closing !== undefined) {
      await this.#destroy(ep);
      return;
    }
    this.#engineLeg = ep;
    ep.on('destroy', (ev) => {
      if (this.#closing === undefined) this.#fail(`FreeSWITCH ended its channel to the engine (${ev?.reason ?? 'no cause'})`);
    });
    await this.#keepAfterBridge(ep);
    await this.inner.acceptCallerAnswer(ep.local.sdp);
    this.log.debug({ phone: phoneCodecOf(phoneSdp)?.name, engine: phoneCodecOf(ep.local.sdp)?.name }, 'FreeSWITCH legs set up');
    this.#syncBridge();
  }

  /**
   * Unbridging (for a prompt) must leave both channels up and parked, whatever the FreeSWITCH
   * dialplan set: FreeSWITCH's defaults hang a channel up when its bridge ends.
   */
  async #keepAfterBridge(ep: FsEndpoint): Promise<void> {
    // An API command, not the `set` application: applications queue behind the channel's own
    // work (about 80 ms each here), API commands run at once.
    await ep.api('uuid_setvar_multi', `${ep.uuid} hangup_after_bridge=false;park_after_bridge=true`);
  }


  #phoneGone(ev: FsDestroyEvent | undefined): void {
    if (this.#closing !== undefined) return;
    if (ev?.reason === 'MEDIA_TIMEOUT') {
      this.#failed = true;
      this.emit('callerMediaTimeout');
      return;
    }
    this.#fail(`FreeSWITCH ended the phone's channel (${ev?.reason ?? 'no cause'})`);
  }

  #fail(reason: string): void {
    if (this.#failed || this.#closing !== undefined) return;
    this.#failed = true;
    this.log.warn({ reason }, 'caller media failed');
    this.emit('callerMediaFailed', reason);
  }

  async #whilePrompting<T>(fn: () => Promise<T>): Promise<T> {
    this.#prompting++;
    this.#syncBridge();
    try {
      await this.#bridgeOps;
      return await fn();
    } finally {
      this.#prompting--;
      this.#syncBridge();
    }
  }

  #syncBridge(): void {
    this.#bridgeOps = this.#bridgeOps.then(async () => {
      const phone = this.#phone;
      const engine = this.#engineLeg;
      if (phone === undefined || engine === undefined || this.#closing !== undefined || this.#failed) return;
      const want = this.#inMeeting && this.#prompting === 0;
      if (want === this.#bridged) return;
      try {
        if (want) await phone.bridge(engine);
        else await phone.unbridge();
        this.#bridged = want;
        if (want) this.#rtpWatch.start();
        else this.#rtpWatch.stop();
      } catch (err) {
        this.log.warn({ err, bridge: want }, 'FreeSWITCH bridge change failed');
      }
    });
  }

  #promptFile(prompt: PromptName): string {
    return `${this.settings.promptDir.replace(/\/+$/, '')}/${prompt}.wav`;
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw new Error('call media is closed');
  }
}
