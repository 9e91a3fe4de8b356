/**
 * Control paths of the media engine over real sockets: DTMF both ways, hold, moderator mute, the
 * bridge media timeout, a resumed session after session-terminate, and a clean close.
 */
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { detectTones } from '../../support/audio.js';
import { FakeConference, FAKE_NEGOTIATED_AUDIO } from '../../support/fake-bridge-audio.js';
import { answerPhone, closeAll, connectCall, ROOM, sleep, testEngine, until, useEngineFixture } from './engine-harness.js';

const f = useEngineFixture();

describe('media engine control', () => {
  it('passes DTMF typed in the web client to the caller as RFC 4733', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    const fromWeb: string[] = [];
    // What the call layer (MeetingControl) does with bridgeDtmf.
    call.on('bridgeDtmf', (digit) => {
      fromWeb.push(digit);
      call.sendDtmfToCaller(digit);
    });
    f.conf.start();
    await sleep(200);
    f.conf.sendDigits('5');
    await until('the digit at the phone', () => phone.digits.length > 0);
    expect(fromWeb).toEqual(['5']);
    expect(phone.digits).toEqual(['5']);
    expect(call.details().bridgeDigits).toBe(1);
  });

  it("reports the caller's RFC 4733 digits", async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    const digits: string[] = [];
    call.on('callerDtmf', (d) => digits.push(d));
    expect(call.callerHasTelephoneEvent).toBe(true);
    phone.startTone(1000);
    await phone.sendDigits('7#');
    await until('two digits', () => digits.length === 2);
    expect(digits).toEqual(['7', '#']);
  });

  it('stops sending to a caller who holds, and resumes on unhold', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    f.conf.start();
    await phone.waitForPackets(10);
    answerPhone(call, phone, 'sendonly');
    await sleep(100);
    const onHold = phone.received.length;
    await sleep(400);
    expect(phone.received.length).toBe(onHold);

    answerPhone(call, phone);
    await phone.waitForPackets(onHold + 10);
    expect(detectTones(phone.audio(onHold + 3), 8000, [400, 1000])).toEqual([400]);
  });

  it('sends no audio to the bridge while the moderator has muted the caller', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone, endpoint } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    phone.startTone(1000);
    await until('caller audio at the bridge', () => (endpoint.gateway(call.ssrc)?.frames.length ?? 0) >= 25);
    const sent = endpoint.gateway(call.ssrc)!;
    expect(sent.tones([1000], 5)).toEqual([1000]);

    call.setMuted(true);
    await sleep(60);
    const mutedFrom = sent.frames.length;
    const encodedBefore = call.details().uplink.encoded;
    const heldBefore = call.details().uplink.silenceHeld;
    // Silence goes out as Opus DTX does: a level-127 frame every 400 ms (20 ticks), the rest held
    // back. Counted in ticks: a loaded machine stretches the wall time they take.
    await until('a silence frame sent and 15 held back', () => sent.frames.length - mutedFrom >= 1 && call.details().uplink.silenceHeld - heldBefore > 15, 10_000);
    expect(sent.tones([1000], mutedFrom)).toEqual([]);
    expect(sent.levels.slice(mutedFrom).every((l) => l === 127)).toBe(true);
    expect(call.details().uplink.encoded).toBe(encodedBefore);

    call.setMuted(false);
    const unmutedFrom = sent.frames.length;
    await until('voice again at the bridge', () => sent.frames.length >= unmutedFrom + 15, 10_000);
    expect(sent.tones([1000], sent.frames.length - 10)).toEqual([1000]);
  });

  /** A call whose bridge sends (BRIDGE_MEDIA_TIMEOUT 500 ms); `fired()` counts its bridgeMediaTimeouts. */
  async function bridgeWatchedCall() {
    f.engine = testEngine({ timeouts: { bridgeMediaMs: 500, callerMediaMs: 0 } });
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    let fired = 0;
    call.on('bridgeMediaTimeout', () => fired++);
    f.conf.start();
    return { conf: f.conf, phone, fired: () => fired };
  }

  it('reports bridgeMediaTimeout when the bridge goes silent, and not before', async () => {
    const { conf, fired } = await bridgeWatchedCall();
    await sleep(900);
    expect(fired()).toBe(0);
    conf.stop();
    await until('bridgeMediaTimeout', () => fired() > 0, 2000);
    await sleep(300);
    expect(fired()).toBe(1);
  });

  it('does not take a stall of its own process for a silent bridge', async () => {
    const { phone, fired } = await bridgeWatchedCall();
    await phone.waitForPackets(10);
    // The event loop is blocked longer than the timeout (a paused VM, a long GC); the bridge
    // sends again as soon as it can.
    const stallEnds = performance.now() + 800;
    while (performance.now() < stallEnds);
    await sleep(400);
    expect(fired()).toBe(0);
  });

  it('keeps the caller through a session-terminate and connects the resumed session', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone, endpoint } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    const firstUfrag = call.bridgeLocal().ufrag;
    f.conf.start();
    await phone.waitForPackets(25);

    call.disconnectBridge();
    expect(call.stats().bridge.connected).toBe(false);
    expect(f.engine.roomStats(ROOM)).toBeUndefined();
    await sleep(100);
    const between = phone.received.length;
    await sleep(300);
    // The caller keeps hearing something: silence, not the room.
    expect(phone.received.length - between).toBeGreaterThan(10);
    expect(detectTones(phone.audio(between), 8000, [400])).toEqual([]);

    await call.bridgeReady();
    expect(call.bridgeLocal().ufrag).not.toBe(firstUfrag);
    const next = await f.conf.addEndpoint();
    await call.connectBridge(ROOM, next.bridge.remoteParameters(), FAKE_NEGOTIATED_AUDIO, f.conf.sources());
    await next.bridge.connected;
    const resumed = phone.received.length;
    await phone.waitForPackets(resumed + 30);
    expect(detectTones(phone.audio(resumed + 5), 8000, [400])).toEqual([400]);
    expect(call.stats().bridge.connected).toBe(true);
    expect(endpoint.bridge.peer).toBeDefined();
  });

  it('answers for the next session as soon as bridgeReady() resolves, even right after a disconnect', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    const firstUfrag = call.bridgeLocal().ufrag;
    call.disconnectBridge();
    // No waiting in between: this is the resume race a quick session-initiate would hit.
    await call.bridgeReady();
    const next = call.bridgeLocal();
    expect(next.ufrag).not.toBe(firstUfrag);
    expect(next.candidates.length).toBeGreaterThan(0);
  });

  it('frees every port and timer on close', async () => {
    const base = randomInt(30000, 60000);
    f.engine = testEngine({ portRange: { min: base, max: base + 30 }, timeouts: { bridgeMediaMs: 5000, callerMediaMs: 5000 } });
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    // Sockets of earlier tests finish closing on a later turn of the event loop.
    await sleep(150);
    const udpBefore = countResources('UDPWrap');
    const timersBefore = countResources('Timeout');
    const a = await connectCall(f.engine, f.conf);
    const b = await connectCall(f.engine, f.conf);
    f.phones.push(a.phone, b.phone);
    f.conf.start();
    a.phone.startTone(1000);
    await sleep(300);
    // Each call: the phone's RTP and RTCP, and the bridge transport.
    expect(f.engine.portAllocator.inUse).toBe(6);
    expect(f.engine.activeCalls).toBe(2);

    await a.call.close();
    await a.call.close();
    expect(f.engine.portAllocator.inUse).toBe(3);
    expect(f.engine.roomStats(ROOM)?.members).toBe(1);
    await b.call.close();
    expect(f.engine.portAllocator.inUse).toBe(0);
    expect(f.engine.activeCalls).toBe(0);
    expect(f.engine.roomStats(ROOM)).toBeUndefined();

    await closeAll(undefined, f.conf, f.phones);
    f.conf = undefined;
    f.phones = [];
    // Closed handles leave the list on a later turn of the event loop. At most as many as before:
    // on a busy machine the previous test's last handles may still be closing when the baseline
    // is taken, and they only ever lower the count; a leak raises it.
    await until('sockets and timers back to where they were', () => countResources('UDPWrap') <= udpBefore && countResources('Timeout') <= timersBefore, 2000);
  });
});

function countResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}
