import { describe, expect, it } from 'vitest';
import { CallerRtpReceiver } from '../../../../src/media/caller/rtp-receiver.js';
import { createCodec, type AudioCodec } from '../../../../src/media/codecs/index.js';
import { encodeTelephoneEvent } from '../../../../src/media/rtp/dtmf.js';
import { parseRtp, serializeRtp } from '../../../../src/media/rtp/packet.js';
import { detectTones, meanSquare, ToneGenerator } from '../../../support/audio.js';

const PCMU_PT = 0;
const TE_PT = 101;

function setup(codec: AudioCodec = createCodec('PCMU'), payloadType = PCMU_PT) {
  const digits: string[] = [];
  const rx = new CallerRtpReceiver({ codec, payloadType, telephoneEventPt: TE_PT }, (d) => digits.push(d), { minDelayMs: 40 });
  const phoneCodec = createCodec(codec.name);
  const tone = new ToneGenerator(1000, codec.sampleRate, 8000);
  let seq = 1000;
  let ts = 5000;
  let now = 0;
  const voice = (opts: { ssrc?: number; skip?: boolean; frames?: number } = {}) => {
    const frames = opts.frames ?? 1;
    const pcm = new Int16Array(phoneCodec.frameSamples * frames);
    for (let f = 0; f < frames; f++) pcm.set(tone.next(phoneCodec.frameSamples), f * phoneCodec.frameSamples);
    const payload = frames === 1 ? phoneCodec.encode(pcm) : Buffer.concat(Array.from({ length: frames }, (_, f) => phoneCodec.encode(pcm.subarray(f * phoneCodec.frameSamples, (f + 1) * phoneCodec.frameSamples))));
    const bytes = serializeRtp({ payloadType, sequenceNumber: seq, timestamp: ts, ssrc: opts.ssrc ?? 0x1111, payload });
    seq = (seq + 1) & 0xffff;
    ts += phoneCodec.timestampStep * frames;
    now += 20 * frames;
    if (!opts.skip) rx.receive(parseRtp(bytes), bytes.length, now);
  };
  const event = (digit: number, start: number, duration: number, end: boolean, ssrc = 0x1111) => {
    const bytes = serializeRtp({
      payloadType: TE_PT,
      sequenceNumber: seq,
      timestamp: start,
      ssrc,
      payload: encodeTelephoneEvent({ event: digit, end, volume: 10, duration }),
    });
    seq = (seq + 1) & 0xffff;
    now += 20;
    rx.receive(parseRtp(bytes), bytes.length, now);
  };
  return { rx, digits, voice, event, codec, setSeq: (s: number) => (seq = s) };
}

describe('CallerRtpReceiver', () => {
  it('plays the caller tone out of the jitter buffer one 20 ms frame per pull', () => {
    const { rx, voice } = setup();
    expect(rx.pull()).toBeUndefined(); // nothing received yet
    for (let i = 0; i < 10; i++) voice();
    const frames: Int16Array[] = [];
    for (let i = 0; i < 10; i++) {
      const f = rx.pull();
      if (f) frames.push(Int16Array.from(f));
    }
    expect(frames.length).toBeGreaterThanOrEqual(9);
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const all = new Int16Array(frames.flatMap((f) => [...f]));
    expect(detectTones(all, 8000, [440, 1000, 1800], 0.5)).toEqual([1000]);
    expect(rx.counters()).toMatchObject({ packets: 10, lost: 0 });
  });

  it('conceals a lost packet and counts it', () => {
    const { rx, voice } = setup();
    voice();
    voice();
    voice({ skip: true });
    voice();
    voice();
    const frames = Array.from({ length: 4 }, () => rx.pull());
    expect(frames.every((f) => f !== undefined)).toBe(true);
    const c = rx.counters();
    expect(c.lost).toBe(1);
    expect(c.concealed).toBe(1);
  });

  it('splits packets longer than 20 ms (ptime 40) into 20 ms frames', () => {
    const { rx, voice } = setup();
    for (let i = 0; i < 4; i++) voice({ frames: 2 });
    const frames: Int16Array[] = [];
    for (let i = 0; i < 8; i++) {
      const f = rx.pull();
      if (f) frames.push(Int16Array.from(f));
    }
    expect(frames).toHaveLength(8);
    expect(frames.every((f) => f.length === 160 && meanSquare(f) > 1e6)).toBe(true);
  });

  it('reports each RFC 4733 press once, and the same digit pressed twice twice', () => {
    const { rx, digits, event } = setup();
    event(1, 8000, 160, false);
    event(1, 8000, 320, false);
    event(1, 8000, 800, true);
    event(1, 8000, 800, true);
    event(1, 8000, 800, true);
    event(1, 9600, 160, false);
    event(1, 9600, 800, true);
    event(1, 9600, 800, true);
    expect(digits).toEqual(['1', '1']);
    expect(rx.counters().digits).toBe(2);
    // Telephone-event slots play as silence, not as decoded garbage.
    const f = rx.pull();
    expect(f === undefined || meanSquare(f) === 0).toBe(true);
  });

  it('starts over on a new SSRC and ignores stragglers of the replaced one', () => {
    const { rx, voice, setSeq } = setup();
    for (let i = 0; i < 5; i++) voice({ ssrc: 0xaaaa });
    setSeq(30000);
    for (let i = 0; i < 5; i++) voice({ ssrc: 0xbbbb });
    voice({ ssrc: 0xaaaa });
    const c = rx.counters();
    expect(c.ssrcChanges).toBe(1);
    expect(c.staleSsrc).toBe(1);
    expect(c.lost).toBe(0); // the jump in numbering is a new stream, not 25000 lost packets
    const frames = Array.from({ length: 3 }, () => rx.pull());
    expect(frames.every((f) => f !== undefined && meanSquare(f) > 1e6)).toBe(true);
  });

  it('accepts exactly its negotiated payload types and comfort noise', () => {
    const { rx } = setup();
    expect([0, 101, 13, 8, 9, 96].map((pt) => rx.accepts(pt))).toEqual([true, true, true, false, false, false]);
  });

  it('decodes G.722 to 16 kHz frames of 320 samples', () => {
    const { rx, voice } = setup(createCodec('G722'), 9);
    for (let i = 0; i < 6; i++) voice();
    const f = rx.pull();
    expect(f?.length).toBe(320);
  });
});
