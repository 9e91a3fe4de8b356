import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { CallerEndpoint } from '../../../src/media/caller/caller-endpoint.js';
import { CallerMediaStateError } from '../../../src/media/caller/errors.js';
import type { CodecName } from '../../../src/media/codecs/index.js';
import { PortAllocator } from '../../../src/media/port-allocator.js';
import { detectTones } from '../../support/audio.js';
import {
  Cleanups,
  concat,
  connectedPair,
  driveTone,
  latchedToPhone,
  makeEndpoint,
  makePhone,
  recordPcm,
  sdpPort,
  sleep,
  until,
} from '../../support/caller-endpoint-harness.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const CANDIDATES = [440, 700, 1000, 1800];

describe('CallerEndpoint audio over real UDP', () => {
  it.each([
    ['PCMU', 0, 8000, 160],
    ['PCMA', 8, 8000, 160],
    ['G722', 9, 16000, 160],
    ['opus', 96, 16000, 960],
  ] as const)('%s: decodes the phone tone and sends its own to the phone', async (codec: CodecName, pt, rate, tsStep) => {
    const { ep, phone, answer } = await connectedPair(cleanups, codec);
    expect(ep.sampleRate).toBe(rate);
    expect(answer).toMatch(new RegExp(`^m=audio ${ep.localPort} RTP/AVP ${pt} 101\\r$`, 'm'));
    const heard = recordPcm(ep);
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await until(() => heard.length >= 25 && phone.received.length >= 25, 3000, 'audio both ways');

    // Skip the start (buffering, codec warm-up) and check by content.
    const inbound = concat(heard.slice(5));
    expect(heard.every((f) => f.length === rate / 50)).toBe(true);
    expect(detectTones(inbound, rate, CANDIDATES, 0.3)).toEqual([1000]);

    const outbound = phone.audio(5);
    expect(detectTones(outbound, rate, CANDIDATES, 0.3)).toEqual([700]);
    const voice = phone.received.filter((p) => p.payloadType === pt);
    for (let i = 1; i < voice.length; i++) {
      expect(voice[i]!.sequenceNumber).toBe((voice[i - 1]!.sequenceNumber + 1) & 0xffff);
      // One frame on, or, after a gap in the 20 ms ticks (a stalled timer on a loaded machine),
      // real time's worth of frames on with the marker bit set (rtp-sender.ts).
      const step = (voice[i]!.timestamp - voice[i - 1]!.timestamp) >>> 0;
      if (voice[i]!.marker) expect(step % tsStep).toBe(0);
      else expect(step).toBe(tsStep);
    }
    expect(voice[0]!.marker).toBe(true);
    const stats = ep.stats();
    expect(stats).toMatchObject({ codec, sampleRate: rate, latchedTo: `127.0.0.1:${phone.port}` });
    expect(stats.packetsIn).toBeGreaterThanOrEqual(25);
    expect(stats.packetsOut).toBeGreaterThanOrEqual(25);
    expect(stats.bytesOut).toBeGreaterThan(stats.packetsOut * 12);
  });
});

describe('CallerEndpoint hold', () => {
  it.each(['sendonly', 'inactive'] as const)('stops sending when the phone re-offers %s, and resumes on unhold', async (holdDirection) => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU');
    phone.startTone(1000);
    driveTone(cleanups, ep, 700);
    await phone.waitForPackets(10);

    const holdAnswer = ep.reconfigure(phone.offer({ direction: holdDirection }));
    expect(holdAnswer).toContain(holdDirection === 'sendonly' ? 'a=recvonly\r\n' : 'a=inactive\r\n');
    expect(ep.sendingSuspended).toBe(true);
    await sleep(60); // packets already in flight
    const atHold = phone.received.length;
    await sleep(300);
    expect(phone.received.length).toBe(atHold);
    expect(ep.stats().suppressedFrames).toBeGreaterThan(5);

    const unholdAnswer = ep.reconfigure(phone.offer());
    expect(unholdAnswer).toContain('a=sendrecv\r\n');
    // The o= version moved on with each changed answer.
    expect(/^o=\S+ \S+ (\d+)/m.exec(unholdAnswer)![1]).toBe('3');
    await phone.waitForPackets(atHold + 10);
    const resumed = phone.received[atHold]!;
    expect(resumed.marker).toBe(true);
    expect(detectTones(phone.audio(atHold + 2), 8000, CANDIDATES, 0.3)).toEqual([700]);
  });

  it('keeps the SDP version of an unchanged re-offer (session refresh)', async () => {
    const { ep, phone, answer } = await connectedPair(cleanups, 'PCMA');
    expect(ep.reconfigure(phone.offer())).toBe(answer);
  });
});

describe('CallerEndpoint DTMF', () => {
  it('reports each RFC 4733 press of the phone once, a repeated digit twice', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU');
    const digits: string[] = [];
    ep.on('dtmf', (d, source) => digits.push(`${d}/${source}`));
    phone.startTone(1000);
    await phone.sendDigits('1');
    await phone.sendDigits('1');
    await phone.sendDigits('5#', 60);
    await until(() => digits.length >= 4, 1000, 'four digits');
    await sleep(100);
    expect(digits).toEqual(['1/rtp', '1/rtp', '5/rtp', '#/rtp']);
    expect(ep.stats().dtmfIn).toBe(4);
  });

  it('sends digits the phone decodes, also when no audio is being sent', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'G722');
    await latchedToPhone(ep, phone);
    ep.sendDtmf('7#');
    await until(() => phone.digits.length >= 2, 2000, 'digits at the phone');
    expect(phone.digits).toEqual(['7', '#']);
    // Nothing but the digits: the endpoint had no audio to send.
    expect(phone.received.every((p) => p.payloadType === 101)).toBe(true);
  });

  it('suppresses voice while a digit is sent over running audio', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU');
    await latchedToPhone(ep, phone);
    driveTone(cleanups, ep, 700);
    await phone.waitForPackets(5);
    ep.sendDtmf('3', 100);
    const kinds = (): string => phone.received.map((p) => (p.payloadType === 101 ? 'E' : 'v')).join('');
    await until(() => /Ev{3}$/.test(kinds()), 2000, 'the digit and voice after it');
    expect(phone.digits).toEqual(['3']);
    // One uninterrupted run of event packets inside the voice.
    expect(kinds()).toMatch(/^v+E{7}v+$/);
  });

  it('refuses RFC 4733 toward a phone that did not negotiate telephone-event', async () => {
    const { ep } = await connectedPair(cleanups, { codec: 'PCMU', telephoneEventPt: null });
    expect(ep.hasTelephoneEvent).toBe(false);
    expect(() => ep.sendDtmf('1')).toThrow(CallerMediaStateError);
  });
});

describe('CallerEndpoint media timeout', () => {
  it('fires after silence and reports the resumption when packets return', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { mediaTimeoutMs: 300 });
    const events: Array<[string, number]> = [];
    const t0 = performance.now();
    ep.on('mediaTimeout', () => events.push(['timeout', performance.now() - t0]));
    ep.on('mediaResumed', () => events.push(['resumed', performance.now() - t0]));
    phone.startTone(1000);
    await sleep(400);
    expect(events).toEqual([]);
    phone.stopAudio();
    const stoppedAt = performance.now() - t0;
    await until(() => events.length === 1, 1500, 'mediaTimeout');
    expect(events[0]![0]).toBe('timeout');
    expect(events[0]![1] - stoppedAt).toBeGreaterThanOrEqual(250);
    expect(ep.stats().mediaTimedOut).toBe(true);
    phone.startTone(1000);
    await until(() => events.length === 2, 1000, 'mediaResumed');
    expect(events[1]![0]).toBe('resumed');
    expect(ep.stats().mediaTimedOut).toBe(false);
  });

  it('does not time out while the phone holds the call', async () => {
    const { ep, phone } = await connectedPair(cleanups, 'PCMU', { mediaTimeoutMs: 200 });
    let timeouts = 0;
    ep.on('mediaTimeout', () => timeouts++);
    ep.reconfigure(phone.offer({ direction: 'inactive' }));
    await sleep(400);
    expect(timeouts).toBe(0);
  });
});

describe('CallerEndpoint close', () => {
  async function freePort(): Promise<number> {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }

  const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('releases its port and leaves no timer behind, with everything running', async () => {
    const phone = await makePhone(cleanups, 'PCMU');
    const port = await freePort();
    const allocator = new PortAllocator({ min: port, max: port });
    const baseline = timeouts();

    const ep = await CallerEndpoint.create({
      bindAddress: '127.0.0.1',
      portAllocator: allocator,
      mediaTimeoutMs: 5000,
      prompts: { get: (_name, rate) => new Int16Array(rate * 5).fill(500) },
    });
    expect(ep.localPort).toBe(port);
    ep.answer(phone.offer());
    phone.sendTo('127.0.0.1', port);
    phone.sendFrame(new Int16Array(160));
    recordPcm(ep); // the endpoint's own clock
    const prompt = ep.playAndCollect('enter-pin', { maxDigits: 4, terminator: '#', firstDigitTimeoutMs: 5000, interDigitTimeoutMs: 5000 });
    ep.sendDtmf('123');
    await sleep(100);
    expect(timeouts()).toBeGreaterThan(baseline);
    expect(allocator.inUse).toBe(1);

    const closing = ep.close();
    expect(ep.close()).toBe(closing);
    await closing;
    await expect(prompt).rejects.toMatchObject({ name: 'PromptCancelledError', reason: 'closed' });
    expect(allocator.inUse).toBe(0);
    // Other parties' timers (vitest's) may come and go; ours must all be gone.
    expect(timeouts()).toBeLessThanOrEqual(baseline);
    expect(() => ep.answer(phone.offer())).toThrow(CallerMediaStateError);
    ep.sendPcm(new Int16Array(160)); // harmless after close

    const again = await CallerEndpoint.create({ bindAddress: '127.0.0.1', portAllocator: allocator });
    expect(again.localPort).toBe(port);
    await again.close();
  });

  it('announces the configured address in its SDP', async () => {
    const phone = await makePhone(cleanups, 'PCMU');
    const ep = await CallerEndpoint.create({ bindAddress: '127.0.0.1', announcedAddress: '203.0.113.5', portAllocator: new PortAllocator({ min: 0, max: 0 }) });
    cleanups.add(() => ep.close());
    const answer = ep.answer(phone.offer());
    expect(answer).toContain('c=IN IP4 203.0.113.5\r\n');
    expect(sdpPort(answer)).toBe(ep.localPort);
  });
});

describe('CallerEndpoint as the offerer', () => {
  it('offers, accepts the phone answer and exchanges audio', async () => {
    const phone = await makePhone(cleanups, 'PCMA');
    const ep = await CallerEndpoint.create({ bindAddress: '127.0.0.1', portAllocator: new PortAllocator({ min: 0, max: 0 }) });
    cleanups.add(() => ep.close());
    const offer = ep.offer();
    expect(offer).toMatch(/^m=audio \d+ RTP\/AVP 9 0 8 111 101\r$/m);
    ep.acceptAnswer(phone.offer()); // the phone's one-codec SDP works as its answer
    expect(ep.stats().codec).toBe('PCMA');
    expect(() => ep.sendPcm(new Int16Array(320))).toThrow(RangeError); // 160 samples at 8 kHz
    phone.sendTo('127.0.0.1', sdpPort(offer));
    const heard = recordPcm(ep);
    phone.startTone(440);
    await until(() => heard.length >= 15, 2000, 'audio');
    expect(detectTones(concat(heard.slice(4)), 8000, CANDIDATES, 0.3)).toEqual([440]);
  });
});

describe('CallerEndpoint with L16 (FreeSWITCH engine leg)', () => {
  /** Peak of a frame, and whether its samples follow one sinusoid at `freqHz` (rounding aside). */
  function sineFrame(frame: Int16Array, rate: number, freqHz: number): { peak: number; smooth: boolean } {
    const c2 = 2 * Math.cos((2 * Math.PI * freqHz) / rate);
    let peak = 0;
    let smooth = true;
    for (let i = 0; i < frame.length; i++) {
      peak = Math.max(peak, Math.abs(frame[i]!));
      if (i > 0 && i < frame.length - 1 && Math.abs(frame[i - 1]! + frame[i + 1]! - c2 * frame[i]!) > 2) smooth = false;
    }
    return { peak, smooth };
  }

  it('offers only the codecs asked for and carries a 16 kHz tone both ways intact', async () => {
    const engine = await makeEndpoint(cleanups); // default codecs: L16 only because offer() asks
    const fs = await makeEndpoint(cleanups, { codecs: ['L16-16k', 'L16', 'PCMU'] });
    const offer = engine.offer(['L16-16k', 'PCMU']);
    expect(offer).toMatch(/^m=audio \d+ RTP\/AVP 119 0 101\r$/m);
    expect(offer).toContain('a=rtpmap:101 telephone-event/16000\r\n');
    const answer = fs.answer(offer);
    expect(answer).toContain('a=rtpmap:119 L16/16000\r\n');
    expect(() => engine.acceptAnswer(answer.replace('L16/16000', 'L16/8000'))).toThrow(/no common codec/);
    engine.acceptAnswer(answer);
    for (const ep of [engine, fs]) {
      expect(ep.stats()).toMatchObject({ codec: 'L16-16k', payloadType: 119, sampleRate: 16000 });
      expect(ep.frameSamples).toBe(320);
    }

    const heardByFs = recordPcm(fs);
    const heardByEngine = recordPcm(engine);
    driveTone(cleanups, engine, 1000);
    driveTone(cleanups, fs, 700);
    await until(() => heardByFs.length >= 25 && heardByEngine.length >= 25, 3000, 'audio both ways');

    for (const [heard, freq] of [
      [heardByFs, 1000],
      [heardByEngine, 700],
    ] as const) {
      const frames = heard.slice(5);
      expect(detectTones(concat(frames), 16000, CANDIDATES, 0.3)).toEqual([freq]);
      // Lossless: every frame is a clean piece of the sine (a byte-order slip would wreck this),
      // and apart from a concealed frame on a busy machine, at the amplitude sent.
      const checked = frames.map((f) => sineFrame(f, 16000, freq));
      expect(checked.every((c) => c.smooth)).toBe(true);
      expect(checked.filter((c) => c.peak >= 7800 && c.peak <= 8000).length).toBeGreaterThanOrEqual(0.9 * frames.length);
    }
    const sent = engine.stats();
    expect(sent.bytesOut).toBe(sent.packetsOut * (12 + 640)); // RTP header + 320 samples × 2 bytes

    // RFC 4733 on the 16 kHz clock.
    const digits: string[] = [];
    fs.on('dtmf', (d) => digits.push(d));
    engine.sendDtmf('5');
    await until(() => digits.length >= 1, 2000, 'the digit');
    expect(digits).toEqual(['5']);
  });
});

