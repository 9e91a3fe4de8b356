/**
 * Audio through the media engine, checked by content: real UDP, ICE, DTLS and SRTP on loopback,
 * Opus toward a fake bridge and G.711/G.722 toward a test phone, tones detected with Goertzel.
 */
import { describe, expect, it } from 'vitest';
import { detectTones } from '../../support/audio.js';
import { FakeConference, toneFrameShare } from '../../support/fake-bridge-audio.js';
import { connectCall, ROOM, testEngine, until, useEngineFixture } from './engine-harness.js';

const CALLER_HZ = 1000;
const WEB_HZ = [400, 700, 1300];
const SILENT_HZ = 1900;
const ALL_HZ = [...WEB_HZ, CALLER_HZ, SILENT_HZ];

const f = useEngineFixture();

describe('media engine audio', () => {
  it("sends the caller's voice to the bridge as Opus on the announced SSRC with audio level and mid", async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }] });
    const { call, phone, endpoint } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    phone.startTone(CALLER_HZ, 8000);
    await until('a second of caller audio at the bridge', () => (endpoint.gateway(call.ssrc)?.frames.length ?? 0) >= 60);

    const sent = endpoint.gateway(call.ssrc)!;
    expect([...endpoint.streams.keys()]).toEqual([call.bridgeLocal().ssrc]);
    expect([...sent.payloadTypes]).toEqual([111]);
    expect([...sent.mids]).toEqual(['audio']);
    expect(sent.tones(ALL_HZ, 10)).toEqual([CALLER_HZ]);
    // An 8000-amplitude sine is -15 dBov; G.711 and the level rounding move it by a dB at most.
    // The test phone's setInterval clock runs slow, so the caller's jitter buffer now and then
    // rebuffers and the engine sends a silence frame (level 127) for that tick. On a busy machine
    // a late packet is concealed instead, and G.711 concealment fades: such a frame is quieter
    // (a higher level number), never louder.
    const after = sent.levels.slice(10);
    const speech = after.filter((l) => l !== 127);
    expect(speech.length).toBeGreaterThan(after.length * 0.9);
    expect(Math.min(...speech)).toBeGreaterThanOrEqual(13);
    expect(speech.filter((l) => l <= 17).length).toBeGreaterThan(after.length * 0.85);
    expect(sent.voice.slice(10).every((v, i) => v === (after[i] !== 127))).toBe(true);
    // The marker starts each talk-spurt: the first speech packet and any after a silence frame.
    const firstSpeech = sent.levels.findIndex((l) => l !== 127);
    expect(sent.marked[firstSpeech]).toBe(true);
    sent.marked.forEach((m, i) => {
      if (i > firstSpeech) expect(m).toBe(sent.levels[i] !== 127 && sent.levels[i - 1] === 127);
    });
  });

  it('mixes every speaking web participant for the caller and does not decode a silent one', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({
      speakers: [...WEB_HZ.map((freqHz) => ({ freqHz })), { freqHz: SILENT_HZ, silent: true }],
    });
    const { phone } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    f.conf.start();
    await phone.waitForPackets(90, 4000);

    const heard = phone.audio(25);
    expect(detectTones(heard, 8000, ALL_HZ)).toEqual(WEB_HZ);
    const streams = f.engine.roomStats(ROOM)!.streams;
    const silent = streams.find((s) => s.ssrc === f.conf!.ssrcOf(3))!;
    expect(silent.decoded).toBe(0);
    expect(silent.skippedSilent).toBeGreaterThan(40);
    for (const i of [0, 1, 2]) {
      const s = streams.find((st) => st.ssrc === f.conf!.ssrcOf(i))!;
      expect(s.decoded).toBeGreaterThan(40);
      expect(s.skippedSilent).toBe(0);
    }
    expect(f.engine.stats().skippedSilent).toBe(silent.skippedSilent);
  });

  it('decodes for a wideband caller at 16 kHz and still mixes every speaker', async () => {
    f.engine = testEngine();
    f.conf = new FakeConference({ speakers: [{ freqHz: 400 }, { freqHz: 5000 }] });
    const { phone } = await connectCall(f.engine, f.conf, { codec: 'G722' });
    f.phones.push(phone);
    f.conf.start();
    await phone.waitForPackets(75, 4000);

    expect(f.engine.roomStats(ROOM)!.decodeRate).toBe(16000);
    // 5 kHz exists only in wideband audio: it proves the 16 kHz path end to end.
    expect(detectTones(phone.audio(25), 16000, [400, 1000, 5000])).toEqual([400, 5000]);
  });

  it('keeps the audio continuous through 10% loss and reordering from the bridge', async () => {
    f.engine = testEngine();
    // A voice-like modulated tone: see SpeakerSpec.modulationHz for why a steady one won't do.
    f.conf = new FakeConference({
      speakers: [{ freqHz: 300, amplitude: 8000, modulationHz: 3 }],
      lossPercent: 10,
      reorderPercent: 10,
      seed: 7,
    });
    const { phone, endpoint } = await connectCall(f.engine, f.conf);
    f.phones.push(phone);
    f.conf.start();
    await phone.waitForPackets(25, 3000);
    const from = phone.received.length;
    // Three seconds of audio, counted in packets (a loaded machine stretches the wall time).
    await phone.waitForPackets(from + 150, 15_000);

    expect(endpoint.dropped).toBeGreaterThan(10);
    expect(endpoint.reordered).toBeGreaterThan(10);
    const heard = phone.audio(from);
    expect(heard.length).toBeGreaterThanOrEqual(8000 * 2.8);
    expect(toneFrameShare(heard, 8000, 300, 0.3)).toBeGreaterThanOrEqual(0.95);
    expect(longestToneGapFrames(heard, 8000, 300)).toBeLessThanOrEqual(2);
    expect(f.engine.stats().concealed).toBeGreaterThan(5);
  });
});

/** Longest run of 20 ms blocks without the tone. */
function longestToneGapFrames(pcm: Int16Array, rate: number, freqHz: number): number {
  const n = rate / 50;
  let longest = 0;
  let run = 0;
  for (let o = 0; o + n <= pcm.length; o += n) {
    const has = toneFrameShare(pcm.subarray(o, o + n), rate, freqHz, 0.3) === 1;
    run = has ? 0 : run + 1;
    if (run > longest) longest = run;
  }
  return longest;
}
