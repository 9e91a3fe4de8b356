import { describe, expect, it } from 'vitest';
import { CodecError, createCodec, L16Codec, normalizeCodecName, UnsupportedCodecError } from '../../../../src/media/codecs/index.js';
import { tone } from '../../../support/audio.js';

describe('L16', () => {
  it.each([8000, 16000] as const)('at %i Hz: clock = PCM rate, 20 ms frames, exact round trip', (rate) => {
    const codec = createCodec('l16', { sampleRate: rate });
    expect(codec).toBeInstanceOf(L16Codec);
    expect(codec).toMatchObject({ name: 'L16', sampleRate: rate, rtpClockRate: rate, frameSamples: rate / 50, timestampStep: rate / 50 });
    // A tone plus the extremes, so sign handling is covered.
    const pcm = tone(1000, rate, rate / 50, 30000);
    pcm[0] = -32768;
    pcm[1] = 32767;
    pcm[2] = -1;
    const payload = codec.encode(pcm);
    expect(payload.length).toBe(2 * pcm.length);
    expect([...codec.decode(payload)]).toEqual([...pcm]);
  });

  it('puts samples on the wire big-endian', () => {
    const codec = new L16Codec(8000);
    const payload = codec.encode(Int16Array.of(0x1234, -2, 0x00ff));
    expect([...payload]).toEqual([0x12, 0x34, 0xff, 0xfe, 0x00, 0xff]);
    expect([...codec.decode(Uint8Array.of(0x12, 0x34, 0x80, 0x00, 0xff, 0xff))]).toEqual([0x1234, -32768, -1]);
  });

  it('follows the out-buffer conventions of the other codecs', () => {
    const codec = new L16Codec(16000);
    const pcm = tone(440, 16000, 320, 8000);
    const exact = Buffer.alloc(640);
    expect(codec.encode(pcm, exact)).toBe(exact);
    const big = Buffer.alloc(1000);
    const view = codec.encode(pcm, big);
    expect(view.length).toBe(640);
    expect(view.buffer).toBe(big.buffer);
    expect(() => codec.encode(pcm, Buffer.alloc(639))).toThrow(RangeError);
    const scratch = new Int16Array(2000);
    const decoded = codec.decode(exact, scratch);
    expect(decoded.length).toBe(320);
    expect(decoded.buffer).toBe(scratch.buffer);
    expect(() => codec.decode(exact, new Int16Array(100))).toThrow(RangeError);
  });

  it('decodes packets of other whole durations (ptime 10, 30)', () => {
    const codec = new L16Codec(8000);
    for (const samples of [80, 240]) {
      const pcm = tone(700, 8000, samples, 5000);
      expect([...codec.decode(codec.encode(pcm))]).toEqual([...pcm]);
    }
  });

  it('rejects payloads that are empty, odd-sized or longer than 120 ms with CodecError', () => {
    const codec = new L16Codec(8000);
    for (const bytes of [0, 1, 3, 321, 2 * 960 + 2]) {
      let err: unknown;
      try {
        codec.decode(new Uint8Array(bytes));
      } catch (e) {
        err = e;
      }
      expect(err, `${bytes} bytes`).toBeInstanceOf(CodecError);
      expect((err as CodecError).codec).toBe('L16');
    }
    // 120 ms is still accepted.
    expect(codec.decode(new Uint8Array(2 * 960)).length).toBe(960);
  });

  it('conceals a lost frame by repeating the last one, then fades to silence', () => {
    const codec = new L16Codec(16000);
    expect([...codec.decodeMissing()].every((s) => s === 0)).toBe(true); // nothing heard yet
    const frame = tone(1000, 16000, 320, 16000);
    codec.decode(codec.encode(frame));
    expect([...codec.decodeMissing()]).toEqual([...frame]);
    expect([...codec.decodeMissing()]).toEqual([...frame].map((s) => s >> 1));
    for (let i = 0; i < 3; i++) codec.decodeMissing();
    expect([...codec.decodeMissing()].every((s) => s === 0)).toBe(true);
  });

  it('conceals with the last 20 ms of a longer packet', () => {
    const codec = new L16Codec(8000);
    const pcm = tone(500, 8000, 480, 9000);
    codec.decode(codec.encode(pcm));
    expect([...codec.decodeMissing()]).toEqual([...pcm.subarray(320)]);
  });

  it('is known to the factory at 8 and 16 kHz only', () => {
    expect(normalizeCodecName('L16')).toBe('L16');
    expect(normalizeCodecName('l16')).toBe('L16');
    expect(createCodec('L16').sampleRate).toBe(8000);
    expect(createCodec('L16', { sampleRate: 16000 }).rtpClockRate).toBe(16000);
    for (const rate of [44100, 48000, 32000]) {
      expect(() => createCodec('L16', { sampleRate: rate })).toThrow(UnsupportedCodecError);
    }
  });
});
