/**
 * Creates codecs by their SDP encoding name. Names compare case-insensitively because SDP does
 * (RFC 4566: "opus", "OPUS" and "Opus" are the same format).
 */
import type { AudioCodec, CodecName } from './codec.js';
import { G711Codec } from './g711.js';
import { G722Codec } from './g722.js';
import { L16Codec } from './l16.js';
import { OpusCodec, type OpusCodecOptions } from './opus.js';

export class UnsupportedCodecError extends Error {
  override readonly name = 'UnsupportedCodecError';
  /** SIP status for an offer with nothing we can use: 488 Not Acceptable Here. */
  readonly sipStatus = 488;
  readonly label = 'unsupported_codec';
}

/** Maps an SDP encoding name to ours, or undefined when we do not implement it. */
export function normalizeCodecName(name: string): CodecName | undefined {
  switch (name.toUpperCase()) {
    case 'PCMU':
      return 'PCMU';
    case 'PCMA':
      return 'PCMA';
    case 'G722':
      return 'G722';
    case 'OPUS':
      return 'opus';
    case 'L16':
      return 'L16';
    default:
      return undefined;
  }
}

export interface CreateCodecOptions {
  /**
   * PCM rate wanted (8000 or 16000) for Opus (default 16000) and L16 (default 8000; for L16 it is
   * also the RTP clock rate); ignored by the others, whose rate is fixed (G.711 8 kHz, G.722 16 kHz).
   */
  sampleRate?: number;
  opus?: Omit<OpusCodecOptions, 'sampleRate'>;
}

/** A new codec instance (its own encoder and decoder state). */
export function createCodec(name: string, options: CreateCodecOptions = {}): AudioCodec {
  const codec = normalizeCodecName(name);
  switch (codec) {
    case 'PCMU':
    case 'PCMA':
      return new G711Codec(codec);
    case 'G722':
      return new G722Codec();
    case 'opus': {
      const rate = options.sampleRate ?? 16000;
      if (rate !== 8000 && rate !== 16000) throw new UnsupportedCodecError(`Opus PCM rate ${rate} is not supported`);
      return new OpusCodec({ ...options.opus, sampleRate: rate });
    }
    case 'L16': {
      const rate = options.sampleRate ?? 8000;
      if (rate !== 8000 && rate !== 16000) throw new UnsupportedCodecError(`L16 at ${rate} Hz is not supported`);
      return new L16Codec(rate);
    }
    default:
      throw new UnsupportedCodecError(`unsupported codec ${name}`);
  }
}

