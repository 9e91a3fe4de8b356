/**
 * A load-side phone: plain RTP PCMU, 20 ms, from a pre-encoded cycle (see signals.ts). It counts
 * what the gateway sends back (by RTP timestamp, so ticks the gateway missed count as loss) and
 * detects the far end's burst onsets by energy, for the bridge → caller latency.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { ulawDecodeSample } from '../../src/media/codecs/g711.js';
import { BURST_FRAMES, BURST_MEAN_ABS } from './signals.js';

const ABS_OF_ULAW = Int32Array.from({ length: 256 }, (_, code) => Math.abs(ulawDecodeSample(code)));
const QUIET_BEFORE_ONSET = 10;

export interface StreamWindow {
  received: number;
  firstTs: number;
  lastTs: number;
}

export function newWindow(): StreamWindow {
  return { received: 0, firstTs: -1, lastTs: -1 };
}

/** Frames expected over a window from the RTP timestamps seen (step: timestamp units per frame). */
export function expectedFrames(w: StreamWindow, step: number): number {
  if (w.firstTs < 0) return 0;
  return Math.round(((w.lastTs - w.firstTs) >>> 0) / step) + 1;
}

export class PhoneSim {
  readonly #socket: dgram.Socket;
  readonly #cycle: Buffer[];
  readonly #packet = Buffer.alloc(12 + 160);
  #target = 0;
  #seq = 1;
  #ts = 0;
  #index = 0;
  #quietRun = 0;
  /** When the current cycle's burst was sent (performance.now()). */
  lastBurstSentMs = -1;
  window = newWindow();
  /** Latency samples: when a far-end burst reached this phone, minus when it was sent. */
  readonly latencies: number[] = [];
  /** Tells when the far end (the room's active web speaker) last sent its burst. */
  farBurstSentMs: () => number = () => -1;

  /** `startIndex`: where in its cycle the phone starts (spreads the talkers of scenario C). */
  static async create(cycle: Buffer[], ssrc: number, startIndex = 0): Promise<PhoneSim> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new PhoneSim(socket, cycle, ssrc, startIndex);
  }

  private constructor(socket: dgram.Socket, cycle: Buffer[], ssrc: number, startIndex: number) {
    this.#socket = socket;
    this.#cycle = cycle;
    this.#index = startIndex % cycle.length;
    this.#packet[0] = 0x80;
    this.#packet[1] = 0;
    this.#packet.writeUInt32BE(ssrc >>> 0, 8);
    socket.on('message', (msg) => this.#onMessage(msg));
    socket.on('error', () => {});
  }

  get port(): number {
    return (this.#socket.address() as AddressInfo).port;
  }

  offer(): string {
    return [
      'v=0',
      `o=bench ${this.port} 1 IN IP4 127.0.0.1`,
      's=bench-phone',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${this.port} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=ptime:20',
      'a=sendrecv',
      '',
    ].join('\r\n');
  }

  setTarget(port: number): void {
    this.#target = port;
  }

  /** Sends the next frame of the cycle. */
  sendFrame(nowMs: number): void {
    if (this.#target === 0) return;
    const p = this.#packet;
    p.writeUInt16BE(this.#seq, 2);
    p.writeUInt32BE(this.#ts >>> 0, 4);
    this.#cycle[this.#index]!.copy(p, 12);
    if (this.#index === 0) this.lastBurstSentMs = nowMs;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#ts = (this.#ts + 160) >>> 0;
    this.#index = (this.#index + 1) % this.#cycle.length;
    this.#socket.send(p, this.#target, '127.0.0.1');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }

  #onMessage(msg: Buffer): void {
    if (msg.length < 12 || (msg[1]! & 0x7f) !== 0) return;
    const ts = msg.readUInt32BE(4);
    const w = this.window;
    if (w.firstTs < 0) w.firstTs = ts;
    w.lastTs = ts;
    w.received++;
    let sum = 0;
    for (let i = 12; i < msg.length; i++) sum += ABS_OF_ULAW[msg[i]!]!;
    const meanAbs = sum / (msg.length - 12);
    if (meanAbs < BURST_MEAN_ABS) {
      this.#quietRun++;
      return;
    }
    if (this.#quietRun >= QUIET_BEFORE_ONSET) {
      const sent = this.farBurstSentMs();
      const latency = performance.now() - sent;
      // A burst lasts BURST_FRAMES × 20 ms and recurs every second or more: anything else is a mismatch.
      if (sent >= 0 && latency > 0 && latency < 1000 - BURST_FRAMES * 20) this.latencies.push(latency);
    }
    this.#quietRun = 0;
  }
}
