/**
 * ITU-T G.711 µ-law (PCMU) and A-law (PCMA), table driven.
 *
 * The tables are built once at load time from the segment definitions of the recommendation:
 *   µ-law: 14-bit magnitude + bias 33, 8 segments of 16 steps, code = ~(sign|segment|step);
 *   A-law: 13-bit magnitude, segments 0 and 1 share the finest step, code = (sign|segment|step)^0x55.
 * Negative inputs use the one's complement magnitude like the ITU software tools (G.191), so the
 * quantiser is symmetric and -1 encodes like +0. Encoding depends only on the top 14 (µ-law) or
 * 13 (A-law) bits of a 16-bit sample, which keeps the encode tables at 16 KiB and 8 KiB.
 */
import {
  FRAME_MS,
  RepeatFadeConcealer,
  bytesView,
  pcmView,
  requireCapacity,
  type AudioCodec,
  type CodecName,
} from './codec.js';

/** Reference µ-law encoder for one 16-bit sample (used to build the table, and by tests). */
export function ulawEncodeSample(sample: number): number {
  const negative = sample < 0;
  let mag = (negative ? ~sample : sample) >> 2; // 14-bit magnitude, 0..8191
  if (mag > 8158) mag = 8158; // clip so that mag + bias stays within 13 bits
  mag += 33;
  let segment = 0;
  while (segment < 7 && mag >= 64 << segment) segment++;
  const step = (mag >> (segment + 1)) & 0x0f;
  return ~((negative ? 0x80 : 0) | (segment << 4) | step) & 0xff;
}

/** Reference µ-law decoder: the reconstruction value of a code, on the 16-bit scale. */
export function ulawDecodeSample(code: number): number {
  const u = ~code & 0xff;
  const segment = (u >> 4) & 0x07;
  const step = u & 0x0f;
  // Midpoint of the step, with the bias of 33 (132 on the 16-bit scale) removed.
  const mag = (((step << 3) + 0x84) << segment) - 0x84;
  return u & 0x80 ? -mag | 0 : mag; // | 0 turns the -0 of code 0x7F into 0
}

/** Reference A-law encoder for one 16-bit sample. */
export function alawEncodeSample(sample: number): number {
  const positive = sample >= 0;
  const mag = (positive ? sample : ~sample) >> 4; // 12-bit magnitude of the 13-bit signal, halved
  let code: number;
  if (mag < 16) {
    code = mag; // segment 0: same step as segment 1
  } else {
    let segment = 1;
    while (segment < 7 && mag >= 32 << (segment - 1)) segment++;
    code = (segment << 4) | ((mag >> (segment - 1)) & 0x0f);
  }
  return ((positive ? 0x80 : 0) | code) ^ 0x55;
}

/** Reference A-law decoder on the 16-bit scale. */
export function alawDecodeSample(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  const segment = (a >> 4) & 0x07;
  const step = a & 0x0f;
  const mag = segment === 0 ? (step << 4) + 8 : ((step << 4) + 0x108) << (segment - 1);
  return a & 0x80 ? mag : -mag;
}

// Encode tables indexed by the top bits of the sample as an unsigned value.
const ULAW_ENCODE = new Uint8Array(1 << 14);
const ALAW_ENCODE = new Uint8Array(1 << 12);
const ULAW_DECODE = new Int16Array(256);
const ALAW_DECODE = new Int16Array(256);

for (let i = 0; i < 1 << 14; i++) {
  const sample = ((i << 18) >> 16) | 0; // top 14 bits → signed 16-bit, low bits 0
  ULAW_ENCODE[i] = ulawEncodeSample(sample);
}
for (let i = 0; i < 1 << 12; i++) {
  const sample = ((i << 20) >> 16) | 0;
  ALAW_ENCODE[i] = alawEncodeSample(sample);
}
for (let c = 0; c < 256; c++) {
  ULAW_DECODE[c] = ulawDecodeSample(c);
  ALAW_DECODE[c] = alawDecodeSample(c);
}

/** Encodes `pcm` into `out` (1 byte per sample); returns the number of bytes written. */
export function ulawEncode(pcm: Int16Array, out: Uint8Array, n = pcm.length): number {
  for (let i = 0; i < n; i++) out[i] = ULAW_ENCODE[(pcm[i]! >> 2) & 0x3fff]!;
  return n;
}

export function ulawDecode(codes: Uint8Array, out: Int16Array, n = codes.length): number {
  for (let i = 0; i < n; i++) out[i] = ULAW_DECODE[codes[i]!]!;
  return n;
}

export function alawEncode(pcm: Int16Array, out: Uint8Array, n = pcm.length): number {
  for (let i = 0; i < n; i++) out[i] = ALAW_ENCODE[(pcm[i]! >> 4) & 0x0fff]!;
  return n;
}

export function alawDecode(codes: Uint8Array, out: Int16Array, n = codes.length): number {
  for (let i = 0; i < n; i++) out[i] = ALAW_DECODE[codes[i]!]!;
  return n;
}

/** PCMU / PCMA at 8 kHz (RTP clock 8000, payload types 0 and 8 in RFC 3551). */
export class G711Codec implements AudioCodec {
  readonly name: CodecName;
  readonly sampleRate = 8000;
  readonly rtpClockRate = 8000;
  readonly frameSamples = (8000 * FRAME_MS) / 1000;
  readonly timestampStep = (8000 * FRAME_MS) / 1000;
  readonly #encodeTable: Uint8Array;
  readonly #decodeTable: Int16Array;
  readonly #shift: number;
  readonly #mask: number;
  readonly #plc = new RepeatFadeConcealer(this.frameSamples);

  constructor(law: 'PCMU' | 'PCMA') {
    this.name = law;
    const ulaw = law === 'PCMU';
    this.#encodeTable = ulaw ? ULAW_ENCODE : ALAW_ENCODE;
    this.#decodeTable = ulaw ? ULAW_DECODE : ALAW_DECODE;
    this.#shift = ulaw ? 2 : 4;
    this.#mask = ulaw ? 0x3fff : 0x0fff;
  }

  encode(pcm: Int16Array, out?: Buffer): Buffer {
    const n = pcm.length;
    const target = out ?? Buffer.allocUnsafe(n);
    requireCapacity(target.length, n, 'payload');
    const table = this.#encodeTable;
    const shift = this.#shift;
    const mask = this.#mask;
    for (let i = 0; i < n; i++) target[i] = table[(pcm[i]! >> shift) & mask]!;
    return bytesView(target, n);
  }

  decode(payload: Uint8Array, out?: Int16Array): Int16Array {
    const n = payload.length;
    const target = out ?? new Int16Array(n);
    requireCapacity(target.length, n, 'PCM');
    const table = this.#decodeTable;
    for (let i = 0; i < n; i++) target[i] = table[payload[i]!]!;
    const result = pcmView(target, n);
    this.#plc.remember(result);
    return result;
  }

  decodeMissing(out?: Int16Array): Int16Array {
    return this.#plc.conceal(out);
  }
}
