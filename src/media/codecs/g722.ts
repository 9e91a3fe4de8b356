/**
 * ITU-T G.722 at 64 kbit/s (mode 1): a 24-tap QMF splits 16 kHz PCM into two 8 kHz sub-bands, the
 * lower one coded with 6-bit ADPCM and the higher one with 2-bit ADPCM; each pair of input samples
 * becomes one octet (high band code in the top 2 bits, RFC 3551 §4.5.2).
 *
 * RTP quirk: the payload format's clock rate is 8000 although the audio is sampled at 16 kHz
 * (RFC 3551 kept an early error for compatibility), so a 20 ms frame of 320 samples advances the
 * RTP timestamp by 160 and SDP says "G722/8000".
 *
 * Each encoder and decoder holds the adaptive state of one direction of one call; never share an
 * instance between streams. Encoder plus decoder delay the signal by 22 samples (~1.4 ms: the two
 * 24-tap QMFs, with each output pair emitted as soon as its newest sub-band sample is known).
 */
import * as adpcm from './g722-adpcm.js';
import * as tables from './g722-tables.js';
import {
  FRAME_MS,
  RepeatFadeConcealer,
  bytesView,
  pcmView,
  requireCapacity,
  type AudioCodec,
} from './codec.js';

// Local bindings on purpose (see g722-adpcm.ts): imported bindings may be getters under some loaders.
const { adaptHighScale, adaptLowScale, AdpcmBand, inverseHigh, inverseLow4, quantizeHigh, quantizeLow, sat16 } = adpcm;
const { LOW_INVERSE_6 } = tables;

/**
 * Σ QMF_EVEN[age] · h[newest - age] and Σ QMF_ODD[age] · h[newest - age], with the coefficients
 * (tables.QMF_EVEN / QMF_ODD, checked by a unit test) written out: this runs twice per sample pair.
 */
export function qmfEvenDot(h: Int32Array, newest: number): number {
  return (
    3 * h[newest]! -
    11 * h[newest - 1]! +
    12 * h[newest - 2]! +
    32 * h[newest - 3]! -
    210 * h[newest - 4]! +
    951 * h[newest - 5]! +
    3876 * h[newest - 6]! -
    805 * h[newest - 7]! +
    362 * h[newest - 8]! -
    156 * h[newest - 9]! +
    53 * h[newest - 10]! -
    11 * h[newest - 11]!
  );
}

export function qmfOddDot(h: Int32Array, newest: number): number {
  return (
    -11 * h[newest]! +
    53 * h[newest - 1]! -
    156 * h[newest - 2]! +
    362 * h[newest - 3]! -
    805 * h[newest - 4]! +
    3876 * h[newest - 5]! +
    951 * h[newest - 6]! -
    210 * h[newest - 7]! +
    32 * h[newest - 8]! +
    12 * h[newest - 9]! -
    11 * h[newest - 10]! +
    3 * h[newest - 11]!
  );
}

/**
 * A 12-entry history kept twice over in 24 slots, so the newest-first window is always contiguous
 * (no shifting per sample, no modulo in the filter).
 */
class History12 {
  readonly buf = new Int32Array(24);
  /** Slot of the newest value (its second copy is at pos + 12). */
  pos = 0;

  push(v: number): void {
    const p = this.pos === 11 ? 0 : this.pos + 1;
    this.pos = p;
    this.buf[p] = v;
    this.buf[p + 12] = v;
  }

  reset(): void {
    this.buf.fill(0);
    this.pos = 0;
  }
}

/** Sub-band analysis + ADPCM encoder for one stream. */
export class G722Encoder {
  readonly #older = new History12(); // first sample of each input pair
  readonly #newer = new History12(); // second sample of each input pair
  readonly #low = new AdpcmBand(32);
  readonly #high = new AdpcmBand(8);

  /** Encodes `n` samples (even) of 16 kHz PCM into n/2 octets at `out`; returns the octet count. */
  encode(pcm: Int16Array, out: Uint8Array, n = pcm.length): number {
    const pairs = n >> 1;
    const low = this.#low;
    const high = this.#high;
    for (let k = 0; k < pairs; k++) {
      this.#older.push(pcm[2 * k]!);
      this.#newer.push(pcm[2 * k + 1]!);
      // Transmit QMF: even taps on the newer samples, odd taps on the older ones.
      const even = qmfEvenDot(this.#newer.buf, this.#newer.pos + 12);
      const odd = qmfOddDot(this.#older.buf, this.#older.pos + 12);
      const xl = (even + odd) >> 14;
      const xh = (even - odd) >> 14;

      const el = sat16(xl - low.estimate);
      const il = quantizeLow(el, low.det);
      const dl = inverseLow4(il, low.det);
      adaptLowScale(low, il);
      low.adapt(dl);

      const eh = sat16(xh - high.estimate);
      const ih = quantizeHigh(eh, high.det);
      const dh = inverseHigh(ih, high.det);
      adaptHighScale(high, ih);
      high.adapt(dh);

      out[k] = (ih << 6) | il;
    }
    return pairs;
  }

  reset(): void {
    this.#older.reset();
    this.#newer.reset();
    this.#low.reset();
    this.#high.reset();
  }
}

/** ADPCM decoder + sub-band synthesis for one stream. */
export class G722Decoder {
  readonly #sum = new History12(); // rl + rh
  readonly #diff = new History12(); // rl - rh
  readonly #low = new AdpcmBand(32);
  readonly #high = new AdpcmBand(8);

  /** Decodes `n` octets into 2n samples of 16 kHz PCM at `out`; returns the sample count. */
  decode(codes: Uint8Array, out: Int16Array, n = codes.length): number {
    const low = this.#low;
    const high = this.#high;
    for (let k = 0; k < n; k++) {
      const code = codes[k]!;
      const il = code & 0x3f;
      const ih = code >> 6;

      // Lower band: the output uses all 6 bits, the adaptation only the top 4 (as the encoder did).
      let rl = low.estimate + ((low.det * LOW_INVERSE_6[il]!) >> 15);
      if (rl > 16383) rl = 16383;
      else if (rl < -16384) rl = -16384;
      const dl = inverseLow4(il, low.det);
      adaptLowScale(low, il);
      low.adapt(dl);

      const dh = inverseHigh(ih, high.det);
      let rh = high.estimate + dh;
      if (rh > 16383) rh = 16383;
      else if (rh < -16384) rh = -16384;
      adaptHighScale(high, ih);
      high.adapt(dh);

      // Receive QMF: one octet yields two output samples.
      this.#sum.push(rl + rh);
      this.#diff.push(rl - rh);
      out[2 * k] = sat16(qmfEvenDot(this.#diff.buf, this.#diff.pos + 12) >> 11);
      out[2 * k + 1] = sat16(qmfOddDot(this.#sum.buf, this.#sum.pos + 12) >> 11);
    }
    return 2 * n;
  }

  reset(): void {
    this.#sum.reset();
    this.#diff.reset();
    this.#low.reset();
    this.#high.reset();
  }
}

/** G.722 as an AudioCodec: 16 kHz PCM, RTP clock 8000, 160 octets per 20 ms. */
export class G722Codec implements AudioCodec {
  readonly name = 'G722' as const;
  readonly sampleRate = 16000;
  /** RFC 3551's historical 8000, not the 16 kHz sampling rate. */
  readonly rtpClockRate = 8000;
  readonly frameSamples = (16000 * FRAME_MS) / 1000;
  readonly timestampStep = (8000 * FRAME_MS) / 1000;
  readonly #encoder = new G722Encoder();
  readonly #decoder = new G722Decoder();
  readonly #plc = new RepeatFadeConcealer(this.frameSamples);

  encode(pcm: Int16Array, out?: Buffer): Buffer {
    if (pcm.length % 2 !== 0) throw new RangeError('G.722 encodes an even number of samples');
    const n = pcm.length >> 1;
    const target = out ?? Buffer.allocUnsafe(n);
    requireCapacity(target.length, n, 'payload');
    this.#encoder.encode(pcm, target);
    return bytesView(target, n);
  }

  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    const n = payload.length * 2;
    const target = out ?? new Int16Array(n);
    requireCapacity(target.length, n, 'PCM');
    this.#decoder.decode(payload, target);
    const result = pcmView(target, n);
    this.#plc.remember(result);
    return result;
  }

  /**
   * Conceals a lost frame by fading repetition. The ADPCM decoder state is left untouched: it
   * re-converges within a few milliseconds of the next real packet.
   */
  decodeMissing(out?: Int16Array): Int16Array {
    return this.#plc.conceal(out);
  }

  reset(): void {
    this.#encoder.reset();
    this.#decoder.reset();
  }
}
