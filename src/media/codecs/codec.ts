/**
 * The shape every audio codec of the media engine has. All codecs work on 20 ms frames of mono
 * 16-bit PCM at their own PCM rate; the RTP clock rate is a separate number because it is not
 * always the PCM rate:
 *   - G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2, kept for history), so a
 *     20 ms frame of 320 samples advances the RTP timestamp by 160;
 *   - Opus' RTP clock is always 48000 (RFC 7587 §4.1) whatever rate we encode or decode at, so a
 *     20 ms frame of 160 (8 kHz) or 320 (16 kHz) samples advances the timestamp by 960.
 * Senders must use `timestampStep`, never `frameSamples`, to advance RTP timestamps.
 */

export type CodecName = 'PCMU' | 'PCMA' | 'G722' | 'opus' | 'L16';

/** Every codec here works in frames of this length. */
export const FRAME_MS = 20;

export interface AudioCodec {
  readonly name: CodecName;
  /** Rate of the PCM given to encode() and returned by decode(). */
  readonly sampleRate: number;
  /** Clock rate of RTP timestamps for this payload format (what SDP's rtpmap says). */
  readonly rtpClockRate: number;
  /** PCM samples in one 20 ms frame at sampleRate. */
  readonly frameSamples: number;
  /** RTP timestamp units one 20 ms frame spans (rtpClockRate / 50). */
  readonly timestampStep: number;
  /**
   * Encodes one frame of PCM. With `out`, writes into it and returns the written part (a view of
   * `out`, or `out` itself when the sizes match); without, returns a new Buffer.
   */
  encode(pcm: Int16Array, out?: Buffer): Buffer;
  /** Decodes one payload; same `out` convention as encode. */
  decode(payload: Uint8Array, out?: Int16Array): Int16Array;
  /** Produces one frame of concealment for a lost packet (packet loss concealment). */
  decodeMissing?(out?: Int16Array): Int16Array;
  /** Frees native resources; the codec is unusable afterwards. */
  close?(): void;
}

/** A payload the codec could not decode; the receive path counts it and conceals the frame. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly label = 'codec_error';
  constructor(
    message: string,
    readonly codec: CodecName,
  ) {
    super(message);
  }
}

/** Returns `out` trimmed to `n` samples (no allocation when it already has that length). */
export function pcmView(out: Int16Array, n: number): Int16Array {
  return out.length === n ? out : out.subarray(0, n);
}

/** Returns `out` trimmed to `n` bytes (no allocation when it already has that length). */
export function bytesView(out: Buffer, n: number): Buffer {
  return out.length === n ? out : out.subarray(0, n);
}

/** Throws when a caller-provided output buffer is too small: silently truncating audio hides bugs. */
export function requireCapacity(length: number, needed: number, what: string): void {
  if (length < needed) throw new RangeError(`${what} buffer too small: ${length} < ${needed}`);
}

/**
 * Concealment for codecs without their own: repeats the last good frame, halving it for every
 * further lost frame, so one lost packet is bridged and a longer outage fades to silence instead
 * of buzzing.
 */
export class RepeatFadeConcealer {
  readonly #last: Int16Array;
  #missing = 0;
  #have = false;

  constructor(frameSamples: number) {
    this.#last = new Int16Array(frameSamples);
  }

  /** Remembers a decoded frame (call after every successful decode). */
  remember(pcm: Int16Array): void {
    const n = Math.min(pcm.length, this.#last.length);
    this.#last.set(n === pcm.length ? pcm : pcm.subarray(0, n));
    if (n < this.#last.length) this.#last.fill(0, n);
    this.#missing = 0;
    this.#have = true;
  }

  conceal(out: Int16Array = new Int16Array(this.#last.length)): Int16Array {
    const n = this.#last.length;
    requireCapacity(out.length, n, 'PCM');
    this.#missing++;
    if (!this.#have || this.#missing > 4) {
      out.fill(0, 0, n);
      return pcmView(out, n);
    }
    const shift = this.#missing - 1;
    const last = this.#last;
    for (let i = 0; i < n; i++) out[i] = last[i]! >> shift;
    return pcmView(out, n);
  }
}
