import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCodec, G722Codec, G722Decoder, G722Encoder, qmfEvenDot, qmfOddDot } from '../../../../src/media/codecs/index.js';
import { adaptLowScale, AdpcmBand, quantizeLow, quantizeLowReference } from '../../../../src/media/codecs/g722-adpcm.js';
import { QMF_EVEN, QMF_ODD } from '../../../../src/media/codecs/g722-tables.js';
import { alignedSnrDb, detectTones, multiTone, tone } from '../../../support/audio.js';
import { g722FixtureInput } from './g722-fixture-input.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/g722-interop.json', import.meta.url), 'utf8')) as {
  encodedHex: string;
  decodedS16leBase64: string;
};

/** Encodes and decodes `pcm` frame by frame with one codec instance. */
function roundTrip(codec: G722Codec, pcm: Int16Array): Int16Array {
  const out = new Int16Array(pcm.length);
  const frame = codec.frameSamples;
  for (let i = 0; i + frame <= pcm.length; i += frame) {
    const payload = codec.encode(pcm.subarray(i, i + frame));
    expect(payload.length).toBe(frame / 2);
    out.set(codec.decode(payload), i);
  }
  return out;
}

describe('G.722', () => {
  it('describes 16 kHz PCM with the RFC 3551 RTP clock of 8000', () => {
    const c = createCodec('G722');
    expect([c.sampleRate, c.rtpClockRate, c.frameSamples, c.timestampStep]).toEqual([16000, 8000, 320, 160]);
  });

  it('keeps a 1 kHz tone above 20 dB SNR after the codec delay', () => {
    const pcm = tone(1000, 16000, 16000, 10000);
    const out = roundTrip(new G722Codec(), pcm);
    const { snrDb, lag } = alignedSnrDb(pcm, out, 40, 1600);
    expect(snrDb).toBeGreaterThan(20);
    expect(lag % 16).toBe(22 % 16); // a pure tone only pins the delay modulo its period
  });

  it('keeps a speech-like multi-tone signal above 20 dB SNR, both sub-bands included', () => {
    // Speech-like: most energy below 1 kHz, falling towards the top of the band.
    const freqs = [220, 470, 910, 1530, 2450, 3300, 5100, 6300];
    const pcm = multiTone(freqs, 16000, 16000, [3000, 3000, 2400, 1800, 1350, 1050, 450, 300]);
    const out = roundTrip(new G722Codec(), pcm);
    const { snrDb, lag } = alignedSnrDb(pcm, out, 40, 1600);
    expect(snrDb).toBeGreaterThan(20);
    expect(lag).toBe(22); // the QMF pair's delay: 23 taps' worth, output pairs emitted one sample early
    expect(detectTones(out.subarray(3200), 16000, [...freqs, 4000, 7500], 0.002)).toEqual(freqs);
  });

  it('is bit-exact with an independent implementation on the interop fixture', () => {
    const input = g722FixtureInput();
    const encoded = new Uint8Array(input.length / 2);
    const enc = new G722Encoder();
    for (let i = 0; i < input.length; i += 320) enc.encode(input.subarray(i, i + 320), encoded.subarray(i / 2));
    expect(Buffer.from(encoded).toString('hex')).toBe(fixture.encodedHex);

    const expected = Buffer.from(fixture.decodedS16leBase64, 'base64');
    const decoded = new Int16Array(input.length);
    new G722Decoder().decode(Buffer.from(fixture.encodedHex, 'hex'), decoded);
    expect(Buffer.from(decoded.buffer).equals(expected)).toBe(true);
  });

  it('keeps state per instance: interleaved streams code exactly as they would alone', () => {
    const a = tone(700, 16000, 3200, 9000);
    const b = multiTone([300, 2600, 6000], 16000, 3200, 4000);
    const alone = (pcm: Int16Array): Buffer => {
      const c = new G722Codec();
      const parts: Buffer[] = [];
      for (let i = 0; i < pcm.length; i += 320) parts.push(Buffer.from(c.encode(pcm.subarray(i, i + 320))));
      return Buffer.concat(parts);
    };
    const ca = new G722Codec();
    const cb = new G722Codec();
    const pa: Buffer[] = [];
    const pb: Buffer[] = [];
    for (let i = 0; i < 3200; i += 320) {
      pa.push(Buffer.from(ca.encode(a.subarray(i, i + 320))));
      pb.push(Buffer.from(cb.encode(b.subarray(i, i + 320))));
    }
    expect(Buffer.concat(pa).equals(alone(a))).toBe(true);
    expect(Buffer.concat(pb).equals(alone(b))).toBe(true);
    // And the state matters: a used encoder codes the same frame differently from a fresh one.
    expect(Buffer.from(ca.encode(a.subarray(0, 320))).equals(Buffer.from(new G722Codec().encode(a.subarray(0, 320))))).toBe(false);
  });

  it('conceals a lost frame with a frame of the right size', () => {
    const c = new G722Codec();
    roundTrip(c, tone(1000, 16000, 640, 8000));
    const plc = c.decodeMissing(new Int16Array(320));
    expect(plc.length).toBe(320);
    expect(plc.some((v) => v !== 0)).toBe(true);
  });

  it('uses the tabulated QMF coefficients in its unrolled filters', () => {
    for (let age = 0; age < 12; age++) {
      const h = new Int32Array(24);
      h[20 - age] = 1;
      expect(qmfEvenDot(h, 20)).toBe(QMF_EVEN[age]);
      expect(qmfOddDot(h, 20)).toBe(QMF_ODD[age]);
    }
  });

  it('quantises the lower band exactly like the recommendation\'s decision scan, for every step size', () => {
    const band = new AdpcmBand(32);
    const dets = new Set<number>([32]);
    // Walk the log scale factor up to its maximum and back down, collecting every step size.
    for (let i = 0; i < 400; i++) {
      adaptLowScale(band, i < 200 ? 4 : 60);
      dets.add(band.det);
    }
    expect(Math.max(...dets)).toBe(16384);
    for (const det of dets) {
      for (let el = -32768; el <= 32767; el += det < 64 ? 1 : 7) {
        if (quantizeLow(el, det) !== quantizeLowReference(el, det)) throw new Error(`el=${el} det=${det}`);
      }
    }
  });
});
