/**
 * Small fakes of a call's SIP leg and media, for testing the call layer with a real Prosody and
 * the fake focus. They record what the call asked of them.
 */
import type { BridgeLocal, BridgeRemote, CallMedia, CallMediaEvents, CallMediaStats, MediaEngine, RemoteAudioSource } from '../../src/media/call-media.js';
import type { DigitCollectOptions, PromptName } from '../../src/sip/pin/pin-prompt.js';
import type { OutgoingRefer } from '../../src/sip/dialog-transfer.js';
import type { DtmfDigit, JsonInfoMessage } from '../../src/sip/info-payloads.js';
import type { InboundCallMeta, InboundSipLeg, ReinviteHandler, SipLegEvents, SipLegState } from '../../src/sip/sip-leg.js';
import type { CallDeps } from '../../src/call/call-deps.js';
import { silentLogger } from '../../src/log.js';
import { TypedEmitter } from '../../src/util/typed-emitter.js';
import { createCallSignaling } from '../../src/xmpp/call-signaling.js';
import type { NegotiatedAudio } from '../../src/xmpp/jingle/negotiate.js';
import type { IceCandidate } from '../../src/xmpp/jingle/types.js';

export class FakeLeg extends TypedEmitter<SipLegEvents> implements InboundSipLeg {
  readonly direction = 'in' as const;
  readonly callId: string;
  state: SipLegState = 'ringing';
  remoteSdp: string | undefined = 'v=0\r\n';
  localSdp: string | undefined;
  lateOffer = false;
  /** Set by loseDialog(): the dialog vanished and no event said so. */
  dialogGone = false;
  readonly log: string[] = [];
  readonly infos: JsonInfoMessage[] = [];
  reinviteHandler: ReinviteHandler | undefined;

  constructor(callId = `call-${Math.random().toString(16).slice(2)}`) {
    super();
    this.callId = callId;
  }
  ringing(): void {
    this.log.push('180');
  }
  async answer(localSdp: string): Promise<void> {
    if (this.state !== 'ringing') throw new Error(`answer in state ${this.state}`);
    this.localSdp = localSdp;
    this.state = 'answered';
    this.log.push('200');
  }
  async reject(status: number): Promise<void> {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.log.push(String(status));
  }
  async hangup(reason?: string, unansweredStatus = 480): Promise<void> {
    if (this.state === 'ended') return;
    this.log.push(this.state === 'answered' ? `BYE:${reason ?? ''}` : String(unansweredStatus));
    this.state = 'ended';
  }
  setReinviteHandler(handler: ReinviteHandler | undefined): void {
    this.reinviteHandler = handler;
  }
  setReferHandler(): void {}
  async refer(): Promise<OutgoingRefer> {
    throw new Error('FakeLeg does not transfer');
  }
  async sendJsonInfo(message: JsonInfoMessage): Promise<void> {
    this.infos.push(message);
  }
  async sendDtmfInfo(digit: DtmfDigit): Promise<void> {
    this.log.push(`INFO-DTMF:${digit}`);
  }
  /** The caller hangs up. */
  remoteBye(): void {
    this.state = 'ended';
    this.emit('hungUp', 'caller');
    this.emit('ended', 'remote-bye', 'caller');
  }
  /** The dialog disappears without any event reaching the call (the ghost-call bug the reaper catches). */
  loseDialog(): void {
    this.dialogGone = true;
  }
  remoteCancel(): void {
    this.state = 'ended';
    this.emit('cancelled');
    this.emit('ended', 'cancelled', '');
  }
}

export function fakeMeta(over: Partial<InboundCallMeta> = {}): InboundCallMeta {
  return {
    callId: 'sip-call-1',
    from: { displayName: 'Alice Phone', user: '+15551234567', uri: 'sip:+15551234567@pbx.test' },
    to: { displayName: undefined, user: '4000', uri: 'sip:4000@gw.test' },
    requestUri: 'sip:4000@gw.test',
    source: { address: '127.0.0.1', port: 5062, protocol: 'udp' },
    lateOffer: false,
    authenticatedUser: undefined,
    header: () => undefined,
    ...over,
  };
}

export class FakeCallMedia extends TypedEmitter<CallMediaEvents> implements CallMedia {
  readonly calls: string[] = [];
  muted = false;
  closed = false;
  callerHasTelephoneEvent = true;
  connectBridgeImpl: () => Promise<void> = async () => undefined;
  digits: string[] = [];
  connectedRoom: string | undefined;
  sources: readonly RemoteAudioSource[] = [];
  #stop: (() => void) | undefined;

  answerCaller(offer: string): string {
    this.calls.push('answerCaller');
    return `answer-to:${offer.length}`;
  }
  offerToCaller(): string {
    this.calls.push('offerToCaller');
    return 'our-offer';
  }
  acceptCallerAnswer(): void {
    this.calls.push('acceptCallerAnswer');
  }
  async bridgeReady(): Promise<void> {
    this.calls.push('bridgeReady');
  }
  bridgeLocal(): BridgeLocal {
    return {
      ufrag: 'gwufrag',
      pwd: 'gwpwd0123456789abcdefgh',
      candidates: [{ foundation: '1', component: 1, protocol: 'udp', priority: 1, ip: '127.0.0.1', port: 20000, type: 'host', generation: 0 }],
      fingerprint: { hash: 'sha-256', value: 'AA:BB' },
      ssrc: 12345,
      cname: 'cname',
      msid: 'stream track',
    };
  }
  async connectBridge(roomJid: string, _remote: BridgeRemote, _audio: NegotiatedAudio, sources: readonly RemoteAudioSource[]): Promise<void> {
    this.calls.push('connectBridge');
    this.connectedRoom = roomJid;
    this.sources = sources;
    await this.connectBridgeImpl();
  }
  addBridgeCandidates(c: readonly IceCandidate[]): void {
    this.calls.push(`addBridgeCandidates:${c.length}`);
  }
  async restartBridge(): Promise<void> {
    this.calls.push('restartBridge');
  }
  disconnectBridge(): void {
    this.calls.push('disconnectBridge');
  }
  setRemoteSources(sources: readonly RemoteAudioSource[]): void {
    this.sources = sources;
  }
  setMuted(muted: boolean): void {
    this.muted = muted;
    this.calls.push(`setMuted:${muted}`);
  }
  pushCallerDigit(digit: string): void {
    this.calls.push(`digit:${digit}`);
  }
  stopPrompt(): void {
    this.#stop?.();
  }
  sendDtmfToCaller(digit: string): void {
    this.calls.push(`dtmf:${digit}`);
  }
  async play(prompt: PromptName): Promise<void> {
    this.calls.push(`play:${prompt}`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 20);
      this.#stop = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  async playAndCollect(prompt: PromptName, _opts: DigitCollectOptions): Promise<string> {
    this.calls.push(`collect:${prompt}`);
    return this.digits.shift() ?? '';
  }
  stats(): CallMediaStats {
    return {
      caller: { packetsReceived: 0, packetsLost: 0, packetsSent: 0, jitterMs: 0 },
      bridge: { packetsReceived: 0, packetsLost: 0, packetsSent: 0, srtpFailures: 0, connected: false },
    };
  }
  async close(): Promise<void> {
    this.closed = true;
    this.calls.push('close');
  }
}

export class FakeMediaEngine implements MediaEngine {
  readonly created: FakeCallMedia[] = [];
  next: (() => FakeCallMedia) | undefined;
  async createCallMedia(): Promise<CallMedia> {
    const m = this.next?.() ?? new FakeCallMedia();
    this.created.push(m);
    return m;
  }
  get activeCalls(): number {
    return this.created.filter((m) => !m.closed).length;
  }
  async close(): Promise<void> {}
}

/** Call dependencies for the call-layer tests: real signaling against `prosody`, fake media. */
export function testCallDeps(
  prosody: { service: string; domain: string },
  focusJid: string,
  parts: { registry: CallDeps['registry']; media: CallDeps['media'] },
  over: Partial<CallDeps> = {},
): CallDeps {
  return {
    ...parts,
    createSignaling: createCallSignaling,
    conference: {
      service: prosody.service,
      login: { mode: 'anonymous', domain: prosody.domain },
      allowPlain: true,
      focusJid,
      audioMuteFeature: true,
      version: 'test',
      joinTimeoutMs: 3000,
      focusTimeoutMs: 1000,
      leaveTimeoutMs: 1000,
    },
    timeouts: {
      roomHeaderMs: 1000,
      sessionInitiateMs: 3000,
      bridgeMediaMs: 5000,
      callerRtpMs: 10000,
      callerRtpHangup: false,
      resumeWindowMs: 3000,
      xmppReconnectWindowMs: 3000,
      drainMs: 10000,
    },
    pinLookup: undefined,
    metrics: undefined,
    logger: silentLogger(),
    ...over,
  };
}
