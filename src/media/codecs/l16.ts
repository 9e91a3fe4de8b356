/**
 * L16 (RFC 3551 §4.5.11): uncompressed 16-bit linear PCM, mono, in network byte order. There is
 * nothing to code: encode and decode only put the samples into and out of big-endian order.
 *
 * It is the format FreeSWITCH hands the engine when the phone uses a codec the engine does not
 * implement (FreeSWITCH decodes once; we do not decode at all). The RTP clock is the sampling rate
 * (SDP "L16/8000" or "L16/16000"), unlike G.722's or Opus's.
 *
 * Samples are moved one by one rather than with Buffer.swap16(): that swaps unconditionally and
 * so would be wrong on a big-endian host, and 320 samples per 20 ms cost nothing.
 */
import {
  CodecError,
  FRAME_MS,
  RepeatFadeConcealer,
  bytesView,
  pcmView,
  requireCapacity,
  type AudioCodec,
} from './codec.js';

export type L16SampleRate = 8000 | 16000;

/**
 * Longest payload decoded: 120 ms. Any packet longer than that is not audio a phone leg sends
 * (FreeSWITCH uses 20 ms); refusing it keeps a corrupt length from flooding the receive queue.
 */
const MAX_PACKET_MS = 120;

export class L16Codec implements AudioCodec {
  readonly name = 'L16';
  readonly sampleRate: L16SampleRate;
  readonly rtpClockRate: number;
  readonly frameSamples: number;
  readonly timestampStep: number;
  readonly #maxSamples: number;
  readonly #plc: RepeatFadeConcealer;

  constructor(sampleRate: L16SampleRate) {
    this.sampleRate = sampleRate;
    this.rtpClockRate = sampleRate;
    this.frameSamples = (sampleRate * FRAME_MS) / 1000;
    this.timestampStep = this.frameSamples;
    this.#maxSamples = (sampleRate * MAX_PACKET_MS) / 1000;
    this.#plc = new RepeatFadeConcealer(this.frameSamples);
  }

  encode(pcm: Int16Array, out?: Buffer): Buffer {
    const n = pcm.length;
    const bytes = 2 * n;
    const target = out ?? Buffer.allocUnsafe(bytes);
    requireCapacity(target.length, bytes, 'payload');
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      const s = pcm[i]!;
      target[j] = (s >> 8) & 0xff;
      target[j + 1] = s & 0xff;
    }
    return bytesView(target, bytes);
  }

  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    const bytes = payload.length;
    if (bytes === 0 || bytes % 2 !== 0) {
      throw new CodecError(`L16 payload of ${bytes} bytes is not a whole number of 16-bit samples`, 'L16');
    }
    const n = bytes / 2;
    if (n > this.#maxSamples) {
      throw new CodecError(`L16 payload of ${n} samples is longer than ${MAX_PACKET_MS} ms at ${this.sampleRate} Hz`, 'L16');
    }
    const target = out ?? new Int16Array(n);
    requireCapacity(target.length, n, 'PCM');
    for (let i = 0, j = 0; i < n; i++, j += 2) {
      // Shifting into the top half and back sign-extends the 16-bit value.
      target[i] = (((payload[j]! << 8) | payload[j + 1]!) << 16) >> 16;
    }
    const result = pcmView(target, n);
    // Conceal with the most recent 20 ms when a packet carried more than one frame.
    const f = this.frameSamples;
    this.#plc.remember(n > f ? result.subarray(n - f) : result);
    return result;
  }

  decodeMissing(out?: Int16Array): Int16Array {
    return this.#plc.conceal(out);
  }
}
