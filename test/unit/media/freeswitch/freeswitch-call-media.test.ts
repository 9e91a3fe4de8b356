import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/log.js';
import type { BridgeRemote, CallMediaStats } from '../../../../src/media/call-media.js';
import { SdpNegotiationError } from '../../../../src/media/caller/sdp-negotiation.js';
import type { CallerCodecName } from '../../../../src/media/caller/sdp-types.js';
import { FreeswitchCallMedia, type FreeswitchCallSettings } from '../../../../src/media/freeswitch/freeswitch-call-media.js';
import type { NegotiatedAudio } from '../../../../src/xmpp/jingle/negotiate.js';
import { FakeCallMedia } from '../../../support/call-fakes.js';
import { FakeFsEndpoint, FakeFsMediaServer, fsSdp } from '../../../support/fs-fakes.js';
import { until } from '../../../support/until.js';

const DTMF_ATTRS = ['a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16'];
/** FreeSWITCH's answer to the phone: G.722 with RFC 4733. */
const PHONE_ANSWER = fsSdp('9 101', ['a=rtpmap:9 G722/8000', ...DTMF_ATTRS]);
/** FreeSWITCH's answer on the engine leg. */
const ENGINE_ANSWER = fsSdp('9', ['a=rtpmap:9 G722/8000'], 16390);
const PHONE_OFFER = fsSdp('9 0 101', ['a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', ...DTMF_ATTRS], 40000);

const REMOTE: BridgeRemote = { ufrag: 'jvbufrag', pwd: 'jvbpwd', candidates: [], fingerprints: [] };
const AUDIO: NegotiatedAudio = { mid: 'audio', opusPt: 111, opusParameters: {} };

/** The engine's media, also recording what the FreeSWITCH wrapper offered and accepted. */
class RecordingCallMedia extends FakeCallMedia {
  offeredCodecs: readonly CallerCodecName[] | undefined;
  readonly answers: string[] = [];

  override offerToCaller(codecs?: readonly CallerCodecName[]): string {
    this.offeredCodecs = codecs;
    return super.offerToCaller();
  }

  /** What the engine leg has received from FreeSWITCH so far. */
  packetsFromFreeswitch = 0;

  override stats(): CallMediaStats {
    const s = super.stats();
    return { ...s, caller: { ...s.caller, packetsReceived: this.packetsFromFreeswitch } };
  }

  override acceptCallerAnswer(answer?: string): void {
    if (answer !== undefined) this.answers.push(answer);
    super.acceptCallerAnswer();
  }
}

function setup(settings: Partial<FreeswitchCallSettings> = {}) {
  const journal: string[] = [];
  const ms = new FakeFsMediaServer(journal);
  const phone = new FakeFsEndpoint('phone-uuid', PHONE_ANSWER, journal);
  const engineLeg = new FakeFsEndpoint('engine-uuid', ENGINE_ANSWER, journal);
  ms.queue.push(phone, engineLeg);
  const inner = new RecordingCallMedia();
  const released: FreeswitchCallMedia[] = [];
  const media = new FreeswitchCallMedia(
    ms,
    inner,
    { promptDir: '/usr/share/gw-prompts', callerRtpTimeoutMs: 0, destroyTimeoutMs: 30, ...settings },
    silentLogger(),
    (c) => released.push(c),
  );
  const events: string[] = [];
  media.on('callerDtmf', (d) => events.push(`callerDtmf:${d}`));
  media.on('callerMediaTimeout', () => events.push('callerMediaTimeout'));
  media.on('callerMediaResumed', () => events.push('callerMediaResumed'));
  media.on('callerMediaFailed', () => events.push('callerMediaFailed'));
  media.on('bridgeConnected', () => events.push('bridgeConnected'));
  media.on('bridgeFailed', (r) => events.push(`bridgeFailed:${r}`));
  media.on('bridgeDtmf', (d) => events.push(`bridgeDtmf:${d}`));
  return { journal, ms, phone, engineLeg, inner, media, events, released };
}

/** The bridge-related calls on the phone channel, in order. */
const bridgeOps = (ep: FakeFsEndpoint): string[] => ep.calls.filter((c) => /^(bridge|unbridge|play|playCollect)/.test(c));

/** Lets queued bridge commands run. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('FreeswitchCallMedia: answering the phone', () => {
  it('creates the phone channel with the offer, then the engine leg, and answers with the phone channel SDP', async () => {
    const { journal, ms, phone, engineLeg, inner, media } = setup();
    const answer = await media.answerCaller(PHONE_OFFER);

    expect(answer).toBe(PHONE_ANSWER);
    expect(ms.created).toEqual([{ remoteSdp: PHONE_OFFER }, { remoteSdp: 'our-offer' }]);
    // The engine is asked for codecs that avoid a second transcoding: G.722 passes through.
    expect(inner.offeredCodecs).toEqual(['G722', 'PCMU']);
    expect(inner.answers).toEqual([ENGINE_ANSWER]);
    expect(inner.calls).toEqual(['offerToCaller', 'acceptCallerAnswer']);
    expect(journal.indexOf(`createEndpoint:${PHONE_OFFER}`)).toBeLessThan(journal.indexOf('createEndpoint:our-offer'));
    for (const ep of [phone, engineLeg]) {
      expect(ep.calls).toContain(`api:uuid_setvar_multi ${ep.uuid} hangup_after_bridge=false;park_after_bridge=true`);
    }
    expect(media.callerHasTelephoneEvent).toBe(true);
    expect(media.stats().caller.codec).toBe('G722');
    await settle();
    expect(bridgeOps(phone)).toEqual([]);
  });

  it('reports the phone going quiet while bridged, and its return, from the engine leg counter', async () => {
    const { phone, inner, media, events } = setup({ callerRtpTimeoutMs: 120 });
    await media.answerCaller(PHONE_OFFER);
    // Not bridged yet (e.g. a PIN prompt): FreeSWITCH's leg is silent and that means nothing.
    await new Promise((r) => setTimeout(r, 250));
    expect(events).not.toContain('callerMediaTimeout');
    await media.connectBridge('room@conference.test', REMOTE, AUDIO, []);
    await until(() => bridgeOps(phone).length > 0, 1000, 'bridge');
    const flowing = setInterval(() => (inner.packetsFromFreeswitch += 1), 20);
    await new Promise((r) => setTimeout(r, 250));
    expect(events).not.toContain('callerMediaTimeout');
    clearInterval(flowing);
    await until(() => events.includes('callerMediaTimeout'), 1000, 'timeout');
    inner.packetsFromFreeswitch += 1;
    await until(() => events.includes('callerMediaResumed'), 1000, 'resumed');
    expect(events.filter((e) => e === 'callerMediaTimeout')).toHaveLength(1);
    await media.close();
  });

  it('handles a re-INVITE by renegotiating the phone channel only', async () => {
    const { ms, phone, engineLeg, inner, media } = setup();
    await media.answerCaller(PHONE_OFFER);
    const holdOffer = PHONE_OFFER.replace('a=sendrecv', 'a=sendonly');
    const holdAnswer = PHONE_ANSWER.replace('a=sendrecv', 'a=recvonly');
    phone.sdpAfterModify = holdAnswer;

    expect(await media.answerCaller(holdOffer)).toBe(holdAnswer);
    expect(phone.calls).toContain(`modify:${holdOffer}`);
    expect(ms.created).toHaveLength(2);
    expect(engineLeg.calls.some((c) => c.startsWith('modify'))).toBe(false);
    expect(inner.calls).toEqual(['offerToCaller', 'acceptCallerAnswer']);
  });

  it('late offer: the answer FreeSWITCH gives a placeholder is the offer; it takes the answer of the phone, then the engine leg is set up', async () => {
    const { journal, ms, phone, inner, media } = setup();
    const offer = await media.offerToCaller();
    expect(offer).toBe(PHONE_ANSWER);
    // FreeSWITCH answers a plain-RTP G.711 placeholder (an INVITE without SDP would make it offer SRTP).
    expect(ms.created).toHaveLength(1);
    const placeholder = ms.created[0]?.remoteSdp ?? '';
    expect(placeholder).toMatch(/^m=audio 9 RTP\/AVP 0 8 101\r$/m);
    expect(placeholder).not.toMatch(/crypto|SAVP/);
    expect(inner.calls).toEqual([]);
    // Asking again (e.g. a retransmitted INVITE) does not make a second channel.
    expect(await media.offerToCaller()).toBe(PHONE_ANSWER);
    expect(ms.created).toHaveLength(1);

    const phoneAnswer = fsSdp('0 101', ['a=rtpmap:0 PCMU/8000', ...DTMF_ATTRS], 40000);
    phone.sdpAfterModify = fsSdp('0 101', ['a=rtpmap:0 PCMU/8000', ...DTMF_ATTRS]);
    await media.acceptCallerAnswer(phoneAnswer);

    expect(ms.created.slice(1)).toEqual([{ remoteSdp: 'our-offer' }]);
    expect(journal.indexOf(`phone-uuid:modify:${phoneAnswer}`)).toBeLessThan(journal.indexOf('createEndpoint:our-offer'));
    expect(inner.offeredCodecs).toEqual(['PCMU']);
    expect(inner.answers).toEqual([ENGINE_ANSWER]);
  });

  it('refuses acceptCallerAnswer() before offerToCaller()', async () => {
    const { media } = setup();
    await expect(media.acceptCallerAnswer(PHONE_OFFER)).rejects.toThrow(/before offerToCaller/);
  });

  it('passes on FreeSWITCH refusing the offer', async () => {
    const { ms, inner, media } = setup();
    ms.queue.splice(0, ms.queue.length, new SdpNegotiationError('FreeSWITCH refused the offer (488)'));
    const err = await media.answerCaller(PHONE_OFFER).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SdpNegotiationError);
    expect((err as SdpNegotiationError).sipStatus).toBe(488);
    expect(inner.calls).toEqual([]);
  });

  it('hangs up a channel FreeSWITCH answers after close()', async () => {
    const { ms, phone, media } = setup();
    let deliver: (ep: FakeFsEndpoint) => void = () => undefined;
    ms.queue.splice(0, ms.queue.length, new Promise<FakeFsEndpoint>((r) => (deliver = r)));
    const answering = media.answerCaller(PHONE_OFFER).catch((e: unknown) => e);
    await until(() => ms.created.length === 1, 1000, 'createEndpoint');
    await media.close();
    deliver(phone);
    expect(await answering).toBeInstanceOf(Error);
    expect(phone.calls).toContain('destroy');
  });
});

describe('FreeswitchCallMedia: bridging and prompts', () => {
  it('bridges the two channels only once the call is in the meeting', async () => {
    const { phone, inner, media } = setup();
    await media.answerCaller(PHONE_OFFER);
    await settle();
    expect(bridgeOps(phone)).toEqual([]);

    await media.connectBridge('room@conference.test', REMOTE, AUDIO, []);
    expect(inner.calls).toContain('connectBridge');
    await until(() => bridgeOps(phone).length > 0, 1000, 'bridge');
    expect(bridgeOps(phone)).toEqual(['bridge:engine-uuid']);
  });

  it('plays a prompt unbridged and bridges again afterwards', async () => {
    const { phone, media } = setup();
    await media.answerCaller(PHONE_OFFER);
    await media.connectBridge('room@conference.test', REMOTE, AUDIO, []);
    await media.play('please-wait');
    await until(() => bridgeOps(phone).length === 4, 1000, 're-bridge');
    expect(bridgeOps(phone)).toEqual(['bridge:engine-uuid', 'unbridge', 'play:/usr/share/gw-prompts/please-wait.wav', 'bridge:engine-uuid']);
  });

  it('plays without touching the bridge before the meeting', async () => {
    const { phone, media } = setup({ promptDir: '/prompts/' });
    await media.answerCaller(PHONE_OFFER);
    await media.play('enter-pin');
    await settle();
    expect(bridgeOps(phone)).toEqual(['play:/prompts/enter-pin.wav']);
  });

  it('maps digit collection onto play-and-collect', async () => {
    const { phone, media } = setup();
    await media.answerCaller(PHONE_OFFER);
    phone.collectImpl = async () => ({ digits: '1234' });
    const digits = await media.playAndCollect('enter-pin', { maxDigits: 8, terminator: '#', firstDigitTimeoutMs: 7000, interDigitTimeoutMs: 3000 });
    expect(digits).toBe('1234');
    expect(phone.collectOptions).toEqual([
      { file: '/usr/share/gw-prompts/enter-pin.wav', min: 1, max: 8, tries: 1, timeout: 7000, digitTimeout: 3000, terminators: '#', regexp: '[0-9*]+' },
    ]);

    phone.collectImpl = async () => ({});
    expect(await media.playAndCollect('wrong-pin', { maxDigits: 4, terminator: '#', firstDigitTimeoutMs: 100, interDigitTimeoutMs: 100 })).toBe('');
  });

  it('does nothing for prompts before the phone channel exists', async () => {
    const { media } = setup();
    await media.play('goodbye');
    expect(await media.playAndCollect('enter-pin', { maxDigits: 4, terminator: '#', firstDigitTimeoutMs: 10, interDigitTimeoutMs: 10 })).toBe('');
  });

  it('injects SIP INFO digits into FreeSWITCH only while collecting', async () => {
    const { phone, media } = setup();
    await media.answerCaller(PHONE_OFFER);
    const injected = (): string[] => phone.calls.filter((c) => c.startsWith('api:uuid_recv_dtmf'));

    media.pushCallerDigit('1');
    expect(injected()).toEqual([]);

    let finish: (r: { digits?: string }) => void = () => undefined;
    phone.collectImpl = () => new Promise((r) => (finish = r));
    const collecting = media.playAndCollect('enter-pin', { maxDigits: 4, terminator: '#', firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 3000 });
    await until(() => phone.calls.includes('playCollect'), 1000, 'playCollect');
    media.pushCallerDigit('5');
    media.pushCallerDigit('#');
    media.pushCallerDigit('x');
    await settle();
    expect(injected()).toEqual(['api:uuid_recv_dtmf phone-uuid 5', 'api:uuid_recv_dtmf phone-uuid #']);
    finish({ digits: '5' });
    expect(await collecting).toBe('5');

    media.pushCallerDigit('7');
    await settle();
    expect(injected()).toHaveLength(2);
  });

  it('stops a prompt with uuid_break, and only while one plays', async () => {
    const { phone, media } = setup();
    await media.answerCaller(PHONE_OFFER);
    media.stopPrompt();
    expect(phone.calls.filter((c) => c.startsWith('api:uuid_break'))).toEqual([]);

    let done: () => void = () => undefined;
    phone.playImpl = () => new Promise((r) => (done = r));
    const playing = media.play('lobby-wait');
    await until(() => phone.calls.some((c) => c.startsWith('play:')), 1000, 'play');
    media.stopPrompt();
    await settle();
    expect(phone.calls.filter((c) => c.startsWith('api:uuid_break'))).toEqual(['api:uuid_break phone-uuid all']);
    done();
    await playing;
  });

  it('sends digits to the phone with uuid_send_dtmf', async () => {
    const { phone, media } = setup();
    media.sendDtmfToCaller('3');
    await media.answerCaller(PHONE_OFFER);
    media.sendDtmfToCaller('3');
    media.sendDtmfToCaller('z');
    await settle();
    expect(phone.calls.filter((c) => c.startsWith('api:uuid_send_dtmf'))).toEqual(['api:uuid_send_dtmf phone-uuid 3']);
  });
});

describe('FreeswitchCallMedia: events', () => {
  it("reports the phone's digits", async () => {
    const { phone, media, events } = setup();
    await media.answerCaller(PHONE_OFFER);
    phone.emit('dtmf', { dtmf: '9', source: 'rtp' });
    expect(events).toEqual(['callerDtmf:9']);
  });

  it("turns FreeSWITCH's media timeout into callerMediaTimeout", async () => {
    const { phone, media, events } = setup({ callerRtpTimeoutMs: 10000 });
    await media.answerCaller(PHONE_OFFER);
    phone.emit('destroy', { reason: 'MEDIA_TIMEOUT' });
    media.mediaServerLost('gone');
    expect(events).toEqual(['callerMediaTimeout']);
  });

  it('reports the phone channel ending otherwise as callerMediaFailed, once', async () => {
    const { phone, media, events } = setup();
    await media.answerCaller(PHONE_OFFER);
    phone.emit('destroy', { reason: 'NORMAL_CLEARING' });
    phone.emit('destroy');
    media.mediaServerLost('gone');
    expect(events).toEqual(['callerMediaFailed']);
  });

  it('reports the engine leg ending as callerMediaFailed', async () => {
    const { engineLeg, media, events } = setup();
    await media.answerCaller(PHONE_OFFER);
    engineLeg.emit('destroy', { reason: 'RECOVERY_ON_TIMER_EXPIRE' });
    expect(events).toEqual(['callerMediaFailed']);
  });

  it('reports a lost FreeSWITCH connection as callerMediaFailed', async () => {
    const { media, events } = setup();
    await media.answerCaller(PHONE_OFFER);
    media.mediaServerLost('event socket connection closed');
    expect(events).toEqual(['callerMediaFailed']);
  });

  it("forwards the engine's bridge events", async () => {
    const { inner, media, events } = setup();
    await media.answerCaller(PHONE_OFFER);
    inner.emit('bridgeConnected');
    inner.emit('bridgeDtmf', '4');
    inner.emit('bridgeFailed', 'ice-failed');
    // The engine's own caller-side events are about FreeSWITCH's leg, not the phone.
    inner.emit('callerMediaTimeout');
    inner.emit('callerDtmf', '1');
    expect(events).toEqual(['bridgeConnected', 'bridgeDtmf:4', 'bridgeFailed:ice-failed']);
  });
});

describe('FreeswitchCallMedia: close', () => {
  it('hangs up both channels, closes the engine media and tells its owner', async () => {
    const { phone, engineLeg, inner, media, events, released } = setup();
    await media.answerCaller(PHONE_OFFER);
    const closing = media.close();
    expect(media.close()).toBe(closing);
    await closing;
    expect(phone.calls).toContain('destroy');
    expect(engineLeg.calls).toContain('destroy');
    expect(inner.closed).toBe(true);
    expect(released).toEqual([media]);
    // FreeSWITCH's hangup events after close() are ours, not failures.
    phone.emit('destroy', { reason: 'NORMAL_CLEARING' });
    media.mediaServerLost('gone');
    expect(events).toEqual([]);
    await expect(media.answerCaller(PHONE_OFFER)).rejects.toThrow(/closed/);
  });

  it('does not wait forever for FreeSWITCH to confirm the hangups', async () => {
    const { phone, engineLeg, inner, media } = setup({ destroyTimeoutMs: 20 });
    await media.answerCaller(PHONE_OFFER);
    phone.hangOnDestroy = true;
    engineLeg.hangOnDestroy = true;
    const started = Date.now();
    await media.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(inner.closed).toBe(true);
  });

  it('closes the engine media even without channels', async () => {
    const { inner, media } = setup();
    await media.close();
    expect(inner.closed).toBe(true);
  });
});
