import { describe, expect, it } from 'vitest';
import {
  alawDecodeSample,
  alawEncodeSample,
  createCodec,
  G711Codec,
  ulawDecodeSample,
  ulawEncodeSample,
} from '../../../../src/media/codecs/index.js';
import { alignedSnrDb, tone } from '../../../support/audio.js';

describe('G.711 µ-law', () => {
  it('maps the standard code points', () => {
    expect(ulawEncodeSample(0)).toBe(0xff);
    expect(ulawDecodeSample(0xff)).toBe(0);
    expect(ulawDecodeSample(0x7f)).toBe(0); // negative zero
    expect(ulawEncodeSample(-1)).toBe(0x7f);
    expect(ulawDecodeSample(0x80)).toBe(32124);
    expect(ulawDecodeSample(0x00)).toBe(-32124);
    expect(ulawEncodeSample(32767)).toBe(0x80);
    expect(ulawEncodeSample(-32768)).toBe(0x00);
    // First step of segment 1 reconstructs at 33 on the 14-bit scale (132 on the 16-bit one).
    expect(ulawDecodeSample(0xef)).toBe(132);
  });

  it('decodes every code to a value that re-encodes to the same code', () => {
    for (let c = 0; c < 256; c++) {
      if (c === 0x7f) continue; // -0 re-encodes as +0
      expect(ulawEncodeSample(ulawDecodeSample(c))).toBe(c);
    }
  });

  it('keeps the error of every 16-bit sample within half a step of its segment', () => {
    const codec = new G711Codec('PCMU');
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const decoded = codec.decode(codec.encode(all));
    for (let i = 0; i < all.length; i++) {
      const x = all[i]!;
      if (Math.abs(x) > 32124 + 512) continue; // clipped beyond the last decision level
      const code = ulawEncodeSample(x);
      const segment = ((~code & 0xff) >> 4) & 7;
      const halfStep = (8 << segment) / 2;
      const err = Math.abs(decoded[i]! - x);
      if (err > halfStep + 4) throw new Error(`x=${x} err=${err} segment=${segment}`);
    }
  });

  it('matches the per-sample reference in the table-driven frame codec', () => {
    const codec = createCodec('pcmu');
    const pcm = tone(1000, 8000, 160, 20000);
    const payload = codec.encode(pcm);
    expect(payload.length).toBe(160);
    expect([...payload]).toEqual([...pcm].map(ulawEncodeSample));
  });
});

describe('G.711 A-law', () => {
  it('maps the standard code points', () => {
    expect(alawEncodeSample(0)).toBe(0xd5);
    expect(alawDecodeSample(0xd5)).toBe(8);
    expect(alawEncodeSample(-1)).toBe(0x55);
    expect(alawDecodeSample(0x55)).toBe(-8);
    expect(alawDecodeSample(0xaa)).toBe(32256);
    expect(alawDecodeSample(0x2a)).toBe(-32256);
    expect(alawEncodeSample(32767)).toBe(0xaa);
    expect(alawEncodeSample(-32768)).toBe(0x2a);
  });

  it('decodes every code to a value that re-encodes to the same code', () => {
    for (let c = 0; c < 256; c++) expect(alawEncodeSample(alawDecodeSample(c))).toBe(c);
  });

  it('keeps the error of every 16-bit sample within half a step of its segment', () => {
    const codec = new G711Codec('PCMA');
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const decoded = codec.decode(codec.encode(all));
    for (let i = 0; i < all.length; i++) {
      const x = all[i]!;
      if (Math.abs(x) > 32256 + 512) continue;
      const segment = ((alawEncodeSample(x) ^ 0x55) >> 4) & 7;
      const halfStep = (segment === 0 ? 16 : 16 << (segment - 1)) / 2;
      const err = Math.abs(decoded[i]! - x);
      if (err > halfStep + 1) throw new Error(`x=${x} err=${err} segment=${segment}`);
    }
  });
});

describe('G711Codec', () => {
  it('describes 20 ms frames at 8 kHz with an 8000 RTP clock', () => {
    const c = new G711Codec('PCMA');
    expect([c.sampleRate, c.rtpClockRate, c.frameSamples, c.timestampStep]).toEqual([8000, 8000, 160, 160]);
  });

  it('carries a tone with the SNR G.711 is known for (~38 dB)', () => {
    for (const law of ['PCMU', 'PCMA'] as const) {
      const c = new G711Codec(law);
      const pcm = tone(1020, 8000, 8000, 16000);
      const out = c.decode(c.encode(pcm));
      expect(alignedSnrDb(pcm, out, 0).snrDb).toBeGreaterThan(33);
    }
  });

  it('writes into caller buffers and rejects ones that are too small', () => {
    const c = new G711Codec('PCMU');
    const pcm = tone(440, 8000, 160, 8000);
    const payload = Buffer.alloc(200);
    const enc = c.encode(pcm, payload);
    expect(enc.length).toBe(160);
    expect(enc.buffer).toBe(payload.buffer);
    const out = new Int16Array(160);
    expect(c.decode(enc, out)).toBe(out);
    expect(() => c.encode(pcm, Buffer.alloc(10))).toThrow(RangeError);
  });

  it('conceals a lost frame by repeating the last one, fading out over a longer gap', () => {
    const c = new G711Codec('PCMU');
    const last = c.decode(c.encode(tone(500, 8000, 160, 10000)));
    const copy = Int16Array.from(last);
    const first = c.decodeMissing();
    expect([...first]).toEqual([...copy]);
    const second = c.decodeMissing();
    expect(second[40]).toBe(copy[40]! >> 1);
    for (let i = 0; i < 4; i++) c.decodeMissing();
    expect(c.decodeMissing().every((v) => v === 0)).toBe(true);
  });
});
