import { describe, expect, it } from 'vitest';
import { createCodec, OpusCodec, toc20ms, CodecError } from '../../../../src/media/codecs/index.js';
import { detectTones, ToneGenerator } from '../../../support/audio.js';

function encodeDecode(codec: OpusCodec, gens: ToneGenerator[], frames: number): Int16Array {
  const n = codec.frameSamples;
  const out = new Int16Array(n * frames);
  const frame = new Int16Array(n);
  const decoded = new Int16Array(n);
  for (let f = 0; f < frames; f++) {
    frame.fill(0);
    for (const g of gens) g.fill(frame, true);
    const packet = codec.encode(frame);
    expect(packet.length).toBeGreaterThan(0);
    expect(packet.length).toBeLessThan(200);
    out.set(codec.decode(packet, decoded), f * n);
  }
  return out;
}

describe('Opus codec', () => {
  for (const rate of [8000, 16000] as const) {
    describe(`at ${rate} Hz`, () => {
      it('advertises the 48 kHz RTP clock: 960 timestamp units per 20 ms frame', () => {
        const c = new OpusCodec({ sampleRate: rate });
        expect([c.sampleRate, c.rtpClockRate, c.frameSamples, c.timestampStep]).toEqual([rate, 48000, rate / 50, 960]);
        c.close();
      });

      it('carries a tone through encode and decode', () => {
        const c = new OpusCodec({ sampleRate: rate });
        const out = encodeDecode(c, [new ToneGenerator(1000, rate, 12000)], 50);
        const tail = out.subarray(out.length / 2);
        expect(detectTones(tail, rate, [600, 1000, 1400, 2500], 0.3)).toEqual([1000]);
        c.close();
      });

      it('conceals a lost frame with exactly one 20 ms frame', () => {
        const c = new OpusCodec({ sampleRate: rate });
        const before = c.decodeMissing(new Int16Array(c.frameSamples));
        expect(before.length).toBe(c.frameSamples);
        expect(before.every((v) => v === 0)).toBe(true); // nothing decoded yet: silence
        encodeDecode(c, [new ToneGenerator(800, rate, 10000)], 10);
        const plc = c.decodeMissing(new Int16Array(c.frameSamples));
        expect(plc.length).toBe(c.frameSamples);
        expect(plc.some((v) => v !== 0)).toBe(true); // PLC continues the tone, not silence
        const again = c.decodeMissing();
        expect(again.length).toBe(c.frameSamples);
        c.close();
      });
    });
  }

  it('keeps the two rates interoperable: 16 kHz packets decode at 8 kHz', () => {
    const wide = new OpusCodec({ sampleRate: 16000 });
    const narrow = new OpusCodec({ sampleRate: 8000 });
    const gen = new ToneGenerator(700, 16000, 12000);
    const out = new Int16Array(160 * 30);
    const frame = new Int16Array(320);
    for (let f = 0; f < 30; f++) {
      const decoded = narrow.decode(wide.encode(gen.fill(frame)));
      expect(decoded.length).toBe(160);
      out.set(decoded, f * 160);
    }
    expect(detectTones(out.subarray(2400), 8000, [400, 700, 1500], 0.3)).toEqual([700]);
  });

  it('applies the configured bitrate', () => {
    const c = createCodec('OPUS', { sampleRate: 16000, opus: { bitrate: 28000 } }) as OpusCodec;
    expect(c.bitrate).toBe(28000);
  });

  it('reports a corrupt packet as a CodecError', () => {
    const c = new OpusCodec({ sampleRate: 16000 });
    // TOC code 3 (arbitrary frame count) with a frame count byte of 0 is invalid.
    expect(() => c.decode(Uint8Array.of(0x0b, 0x00))).toThrow(CodecError);
  });

  it('rewrites a TOC byte to a single 20 ms frame of the same mode', () => {
    expect(toc20ms((0 << 3) | 0x03)).toBe(1 << 3); // SILK NB 10 ms, code 3 → SILK NB 20 ms, code 0
    expect(toc20ms((10 << 3) | 0x04)).toBe((9 << 3) | 0x04); // SILK WB 40 ms stereo → 20 ms stereo
    expect(toc20ms(12 << 3)).toBe(13 << 3); // hybrid SWB 10 → 20 ms
    expect(toc20ms(28 << 3)).toBe(31 << 3); // CELT FB 2.5 → 20 ms
  });
});
