/**
 * What arrives from the caller, after the transport has validated and latched it.
 *
 * Design choice: packets go into a jitter buffer on arrival and are decoded on pull, once per
 * 20 ms tick of whoever consumes the audio (the engine's clock, or the endpoint's own for onPcm).
 * Decoding on arrival would hand the mixer bursts and gaps exactly as the network delivers them;
 * pulling through the buffer gives one frame per tick, reorders, and runs the codec's concealment
 * (PLC) for a packet that never came. Telephone events are detected on arrival (a digit must not
 * wait for someone to pull audio) but also go through the buffer, so that a sequence gap there
 * always means loss; their slots, and comfort noise, play as silence.
 *
 * A decoded packet can hold more than 20 ms (a phone using ptime 30 or 40): pull() takes 20 ms
 * from a small PCM queue and only pops the jitter buffer when the queue runs short.
 *
 * A new SSRC (the phone restarted its stream, or a PBX switched the call to another source) starts
 * the buffer, loss accounting and digit de-duplication afresh. Packets of the SSRC it replaced are
 * dropped for a while, so that two interleaved streams cannot flap the buffer back and forth.
 */
import type { AudioCodec } from '../codecs/codec.js';
import { JitterBuffer, type JitterBufferOptions, type JitterStats } from '../jitter/jitter-buffer.js';
import { DtmfReceiver } from '../rtp/dtmf.js';
import type { RtpPacketView } from '../rtp/packet.js';
import { SequenceTracker } from '../rtp/sequence.js';

export interface ReceiverFormat {
  codec: AudioCodec;
  payloadType: number;
  telephoneEventPt: number | undefined;
}

/** RFC 3389 comfort noise (static PT 13): some phones send it during silence without offering it. */
export const COMFORT_NOISE_PT = 13;

/** Jitter buffer settings the endpoint passes through (the clock rate comes from the codec). */
export type ReceiverJitterOptions = Omit<JitterBufferOptions, 'clockRate'>;

export interface ReceiverCounters {
  packets: number;
  bytes: number;
  /** Packets lost on the way (RFC 3550 expected − received, summed over the caller's SSRCs). */
  lost: number;
  /** Interarrival jitter of the current stream. */
  jitterMs: number;
  ssrcChanges: number;
  /** Packets of a replaced SSRC, dropped. */
  staleSsrc: number;
  decodeErrors: number;
  /** 20 ms frames produced by concealment. */
  concealed: number;
  digits: number;
}

/** Largest payload kept (the jitter buffer drops bigger ones). */
const MAX_PAYLOAD = 1280;
/** Enough PCM for the largest packet: 1280 G.722 octets, or 120 ms of Opus at 16 kHz. */
const SCRATCH_SAMPLES = 2 * MAX_PAYLOAD;
/** How long packets of the previous SSRC are ignored after a switch. */
const STALE_SSRC_MS = 1000;

export class CallerRtpReceiver {
  readonly #onDigit: (digit: string) => void;
  readonly #jitterOptions: ReceiverJitterOptions;
  readonly #scratch = new Int16Array(SCRATCH_SAMPLES);
  readonly #jitterStats: JitterStats;
  #format: ReceiverFormat;
  #jitter: JitterBuffer;
  #dtmf: DtmfReceiver;
  #sequence = new SequenceTracker();
  #lostBefore = 0;
  #fifo: Int16Array;
  #fifoLen = 0;
  #frame: Int16Array;
  #haveSsrc = false;
  #ssrc = 0;
  #previousSsrc = -1;
  #lastPacketMs = 0;
  readonly #counters: ReceiverCounters = {
    packets: 0,
    bytes: 0,
    lost: 0,
    jitterMs: 0,
    ssrcChanges: 0,
    staleSsrc: 0,
    decodeErrors: 0,
    concealed: 0,
    digits: 0,
  };

  constructor(format: ReceiverFormat, onDigit: (digit: string) => void, jitterOptions: ReceiverJitterOptions = {}) {
    this.#onDigit = onDigit;
    this.#jitterOptions = jitterOptions;
    this.#format = format;
    this.#jitter = this.#makeJitter(format);
    this.#jitterStats = this.#jitter.stats();
    this.#dtmf = new DtmfReceiver({ clockRate: format.codec.rtpClockRate });
    this.#frame = new Int16Array(format.codec.frameSamples);
    this.#fifo = new Int16Array(SCRATCH_SAMPLES + format.codec.frameSamples);
  }

  get format(): ReceiverFormat {
    return this.#format;
  }

  /** A renegotiated format; a new codec or clock starts the stream state over. */
  setFormat(format: ReceiverFormat): void {
    const old = this.#format;
    this.#format = format;
    if (old.codec !== format.codec) {
      this.#jitter = this.#makeJitter(format);
      this.#frame = new Int16Array(format.codec.frameSamples);
      this.#fifo = new Int16Array(SCRATCH_SAMPLES + format.codec.frameSamples);
      this.#fifoLen = 0;
      this.#restartStream();
    }
    if (old.codec.rtpClockRate !== format.codec.rtpClockRate || old.telephoneEventPt !== format.telephoneEventPt) {
      this.#dtmf = new DtmfReceiver({ clockRate: format.codec.rtpClockRate });
    }
  }

  /** Payload types we take from the caller: the codec, telephone-event, comfort noise. */
  accepts(payloadType: number): boolean {
    const f = this.#format;
    return payloadType === f.payloadType || payloadType === f.telephoneEventPt || payloadType === COMFORT_NOISE_PT;
  }

  /** Takes one packet (already validated and from the latched source). */
  receive(view: RtpPacketView, length: number, nowMs: number): void {
    const ssrc = view.ssrc;
    if (!this.#haveSsrc) {
      this.#haveSsrc = true;
      this.#ssrc = ssrc;
    } else if (ssrc !== this.#ssrc) {
      if (ssrc === this.#previousSsrc && nowMs - this.#lastPacketMs < STALE_SSRC_MS) {
        this.#counters.staleSsrc++;
        return;
      }
      this.#previousSsrc = this.#ssrc;
      this.#ssrc = ssrc;
      this.#counters.ssrcChanges++;
      this.#jitter.reset();
      this.#restartStream();
    }
    this.#lastPacketMs = nowMs;
    this.#counters.packets++;
    this.#counters.bytes += length;
    this.#sequence.update(view.sequenceNumber);
    const pt = view.payloadType;
    if (pt === this.#format.telephoneEventPt) {
      const press = this.#dtmf.receive(view.payload, view.timestamp);
      if (press !== undefined) {
        this.#counters.digits++;
        this.#onDigit(press.digit);
      }
    }
    this.#jitter.push(view.sequenceNumber, view.timestamp, view.payload, nowMs, pt, view.marker);
  }

  /**
   * The next 20 ms of the caller's audio at the codec's PCM rate, or undefined when there is none
   * (nothing received yet, buffering, or the caller paused). The returned array is reused by the
   * next pull: copy it to keep it.
   */
  pull(): Int16Array | undefined {
    const need = this.#format.codec.frameSamples;
    while (this.#fifoLen < need) {
      const popped = this.#jitter.pop();
      if (popped === undefined) break;
      if (popped === 'missing') {
        this.#conceal(need);
      } else if (this.#jitter.lastPayloadType === this.#format.payloadType) {
        this.#decode(popped, need);
      } else {
        this.#appendSilence(need);
      }
    }
    const have = this.#fifoLen;
    if (have === 0) return undefined;
    const frame = this.#frame;
    const fifo = this.#fifo;
    if (have < need) {
      // The stream stopped in the middle of a long packet's last frame: pad it out.
      frame.set(fifo.subarray(0, have));
      frame.fill(0, have);
      this.#fifoLen = 0;
      return frame;
    }
    frame.set(fifo.subarray(0, need));
    if (have > need) fifo.copyWithin(0, need, have);
    this.#fifoLen = have - need;
    return frame;
  }

  counters(): ReceiverCounters {
    const c = this.#counters;
    const js = this.#jitter.stats(this.#jitterStats);
    c.lost = this.#lostBefore + Math.max(0, this.#sequence.cumulativeLost);
    c.jitterMs = js.jitterMs;
    return { ...c };
  }

  #decode(payload: Uint8Array, need: number): void {
    let pcm: Int16Array;
    try {
      pcm = this.#format.codec.decode(payload, this.#scratch);
    } catch {
      this.#counters.decodeErrors++;
      this.#conceal(need);
      return;
    }
    this.#append(pcm);
  }

  #conceal(need: number): void {
    this.#counters.concealed++;
    const codec = this.#format.codec;
    if (codec.decodeMissing === undefined) {
      this.#appendSilence(need);
      return;
    }
    this.#append(codec.decodeMissing(this.#scratch));
  }

  #append(pcm: Int16Array): void {
    const room = this.#fifo.length - this.#fifoLen;
    const n = pcm.length <= room ? pcm.length : room;
    this.#fifo.set(n === pcm.length ? pcm : pcm.subarray(0, n), this.#fifoLen);
    this.#fifoLen += n;
  }

  #appendSilence(n: number): void {
    const end = Math.min(this.#fifo.length, this.#fifoLen + n);
    this.#fifo.fill(0, this.#fifoLen, end);
    this.#fifoLen = end;
  }

  #restartStream(): void {
    this.#lostBefore += Math.max(0, this.#sequence.cumulativeLost);
    this.#sequence = new SequenceTracker();
    this.#dtmf = new DtmfReceiver({ clockRate: this.#format.codec.rtpClockRate });
  }

  #makeJitter(format: ReceiverFormat): JitterBuffer {
    return new JitterBuffer({ maxPayloadBytes: MAX_PAYLOAD, ...this.#jitterOptions, clockRate: format.codec.rtpClockRate });
  }
}
