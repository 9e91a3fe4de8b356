/**
 * RFC 4733 telephone events: the 4-byte payload, a sender that turns digits into the standard
 * packet train, and a receiver that reports each digit exactly once however many of its packets
 * are repeated, reordered or lost.
 */
import { TypedEmitter } from '../../util/typed-emitter.js';
import { tsDiff } from './sequence.js';

/** Event codes 0-15 in order (RFC 4733 §3.2); 16 is flash, which has no digit character. */
const DIGITS = '0123456789*#ABCD';

/** Event code of a DTMF character (case-insensitive); throws RangeError for anything else. */
export function dtmfEventCode(digit: string): number {
  const code = digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
  if (code < 0) throw new RangeError(`not a DTMF digit: ${JSON.stringify(digit)}`);
  return code;
}

/** DTMF character of an event code, or undefined for non-digit events. */
export function dtmfDigit(event: number): string | undefined {
  return event >= 0 && event < DIGITS.length ? DIGITS[event] : undefined;
}

export interface TelephoneEvent {
  event: number;
  end: boolean;
  /** Power level of the tone, 0..63 meaning 0..-63 dBm0. */
  volume: number;
  /** Duration so far, in RTP timestamp units. */
  duration: number;
}

export const TELEPHONE_EVENT_SIZE = 4;

/** Writes the 4-byte payload into `out` (or a new buffer). */
export function encodeTelephoneEvent(ev: TelephoneEvent, out: Uint8Array = new Uint8Array(4), offset = 0): Uint8Array {
  out[offset] = ev.event & 0xff;
  out[offset + 1] = (ev.end ? 0x80 : 0) | (ev.volume & 0x3f);
  const d = Math.min(0xffff, Math.max(0, Math.round(ev.duration)));
  out[offset + 2] = d >> 8;
  out[offset + 3] = d & 0xff;
  return out;
}

/** Reads the first event of a payload; undefined when it is shorter than 4 bytes. */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < TELEPHONE_EVENT_SIZE) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

export interface DtmfSenderOptions {
  /** Clock rate of the negotiated telephone-event format (usually 8000). */
  clockRate?: number;
  /** Spacing of the packets, and so of next() calls. */
  packetIntervalMs?: number;
  /** Default tone length. */
  durationMs?: number;
  /** Silence between queued digits, so that receivers see distinct presses. */
  pauseMs?: number;
  volume?: number;
  /** How many times the final (E bit) packet is sent. */
  endRepeats?: number;
}

/** One packet to send. `payload` is reused by the next call: serialise it before calling again. */
export interface DtmfPacket {
  payload: Uint8Array;
  /** Set on the first packet of an event only. */
  marker: boolean;
  /** The event's start time: identical in every packet of one event. */
  timestamp: number;
  end: boolean;
  event: number;
}

interface QueuedDigit {
  event: number;
  durationUnits: number;
}

/**
 * Produces the RFC 4733 packet train for queued digits. Call next() once per packet interval with
 * the audio stream's current RTP timestamp; when it returns a packet, send that instead of audio.
 * Each event starts with a marker packet carrying one interval of duration, repeats with growing
 * duration, and ends with `endRepeats` identical E-bit packets carrying the full duration; queued
 * digits are separated by `pauseMs` of ordinary audio so each press gets its own timestamp.
 */
export class DtmfSender {
  readonly #clockRate: number;
  readonly #intervalUnits: number;
  readonly #defaultDurationMs: number;
  readonly #pauseTicks: number;
  readonly #volume: number;
  readonly #endRepeats: number;
  readonly #queue: QueuedDigit[] = [];
  readonly #packet: DtmfPacket = { payload: new Uint8Array(4), marker: false, timestamp: 0, end: false, event: 0 };
  readonly #ev: TelephoneEvent = { event: 0, end: false, volume: 0, duration: 0 };
  #current: QueuedDigit | undefined;
  #startTs = 0;
  #sent = 0;
  #endsSent = 0;
  #pauseLeft = 0;

  constructor(options: DtmfSenderOptions = {}) {
    this.#clockRate = options.clockRate ?? 8000;
    const interval = options.packetIntervalMs ?? 20;
    this.#intervalUnits = Math.round((this.#clockRate * interval) / 1000);
    this.#defaultDurationMs = options.durationMs ?? 100;
    this.#pauseTicks = Math.ceil((options.pauseMs ?? 60) / interval);
    this.#volume = options.volume ?? 10;
    this.#endRepeats = options.endRepeats ?? 3;
  }

  /**
   * Queues digits (0-9, *, #, A-D). The duration is capped at what the 16-bit duration field can
   * carry (about 8 s at 8 kHz, 1.3 s at 48 kHz) instead of splitting into segments.
   */
  enqueue(digits: string, durationMs = this.#defaultDurationMs): void {
    const units = Math.min(0xffff, Math.max(this.#intervalUnits, Math.round((this.#clockRate * durationMs) / 1000)));
    const codes = [...digits].map(dtmfEventCode);
    for (const event of codes) this.#queue.push({ event, durationUnits: units });
  }

  /** True while an event or its queue or pause is still in progress. */
  get busy(): boolean {
    return this.#current !== undefined || this.#queue.length > 0 || this.#pauseLeft > 0;
  }

  /** Drops queued digits; an event already started still finishes with its end packets. */
  clearQueue(): void {
    this.#queue.length = 0;
  }

  next(nowTimestamp: number): DtmfPacket | undefined {
    if (!this.#current) {
      if (this.#pauseLeft > 0) {
        this.#pauseLeft--;
        return undefined;
      }
      const nextDigit = this.#queue.shift();
      if (!nextDigit) return undefined;
      this.#current = nextDigit;
      this.#startTs = nowTimestamp >>> 0;
      this.#sent = 0;
      this.#endsSent = 0;
    }
    const cur = this.#current;
    this.#sent++;
    const elapsed = this.#sent * this.#intervalUnits;
    const ev = this.#ev;
    ev.event = cur.event;
    ev.volume = this.#volume;
    if (elapsed < cur.durationUnits) {
      ev.end = false;
      ev.duration = elapsed;
    } else {
      ev.end = true;
      ev.duration = cur.durationUnits;
      this.#endsSent++;
    }
    const p = this.#packet;
    encodeTelephoneEvent(ev, p.payload);
    p.marker = this.#sent === 1;
    p.timestamp = this.#startTs;
    p.end = ev.end;
    p.event = cur.event;
    if (this.#endsSent >= this.#endRepeats) {
      this.#current = undefined;
      this.#pauseLeft = this.#queue.length > 0 ? this.#pauseTicks : 0;
    }
    return p;
  }
}

export interface DtmfDigitEvent {
  digit: string;
  event: number;
  /** RTP timestamp identifying this press. */
  timestamp: number;
  volume: number;
  /** Duration seen so far ('digit') or the final duration ('end'), in milliseconds. */
  durationMs: number;
}

export type DtmfReceiverEvents = {
  /** Once per press, on its first packet to arrive. */
  digit: [DtmfDigitEvent];
  /** Once per press, on its first end packet (or when a new press shows the old one is over). */
  end: [DtmfDigitEvent];
};

/** How many finished presses are remembered to recognise their late retransmissions. */
const HISTORY = 8;

/**
 * Turns received telephone-event payloads into digits. Presses are told apart by RTP timestamp (a
 * repeated digit gets a new timestamp), so retransmitted end packets and reordered updates never
 * produce a second digit. One receiver per SSRC.
 */
export class DtmfReceiver extends TypedEmitter<DtmfReceiverEvents> {
  readonly #clockRate: number;
  readonly #historyTs = new Float64Array(HISTORY).fill(-1);
  #historyPos = 0;
  #active = false;
  #ts = 0;
  #event = -1;
  #ended = false;
  #volume = 0;
  #duration = 0;

  constructor(options: { clockRate?: number } = {}) {
    super();
    this.#clockRate = options.clockRate ?? 8000;
  }

  /** Feeds one payload; returns the digit when this packet starts a new press. */
  receive(payload: Uint8Array, timestamp: number): DtmfDigitEvent | undefined {
    const ev = decodeTelephoneEvent(payload);
    if (!ev) return undefined;
    timestamp >>>= 0;
    if (this.#active && timestamp === this.#ts && ev.event === this.#event) {
      if (ev.duration > this.#duration) this.#duration = ev.duration;
      if (ev.end && !this.#ended) {
        this.#ended = true;
        this.emit('end', this.#describe());
      }
      return undefined;
    }
    if (this.#seenBefore(timestamp)) return undefined;
    // A packet older than the current press (reordered across presses, its own start already
    // lost) is stale: reporting it now would put digits out of order.
    if (this.#active && tsDiff(this.#ts, timestamp) < 0 && tsDiff(timestamp, this.#ts) < this.#clockRate * 10) {
      return undefined;
    }
    if (this.#active) {
      if (!this.#ended) {
        this.#ended = true;
        this.emit('end', this.#describe());
      }
      this.#remember(this.#ts);
    }
    const digit = dtmfDigit(ev.event);
    this.#active = true;
    this.#ts = timestamp;
    this.#event = ev.event;
    this.#volume = ev.volume;
    this.#duration = ev.duration;
    this.#ended = ev.end;
    if (digit === undefined) {
      // Not a digit (flash or another event): track it for de-duplication, report nothing.
      this.#ended = true;
      return undefined;
    }
    const info = this.#describe();
    this.emit('digit', info);
    if (ev.end) this.emit('end', info);
    return info;
  }

  #describe(): DtmfDigitEvent {
    return {
      digit: dtmfDigit(this.#event) ?? '',
      event: this.#event,
      timestamp: this.#ts,
      volume: this.#volume,
      durationMs: (this.#duration * 1000) / this.#clockRate,
    };
  }

  #seenBefore(ts: number): boolean {
    for (let i = 0; i < HISTORY; i++) if (this.#historyTs[i] === ts) return true;
    return false;
  }

  #remember(ts: number): void {
    this.#historyTs[this.#historyPos] = ts;
    this.#historyPos = (this.#historyPos + 1) % HISTORY;
  }
}
