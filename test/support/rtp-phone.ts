/**
 * A test "phone" on 127.0.0.1: RTP (or SDES-SRTP, see useSdes()) with one codec (G.711, G.722 or
 * Opus), a tone or given frames as its voice, RFC 4733 digits, a source port it can change
 * mid-call (a NAT rebinding), and a record of everything it receives, decoded, for tone and digit
 * checks.
 */
import dgram from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createCodec, type AudioCodec, type CodecName } from '../../src/media/codecs/index.js';
import type { AesCmSrtpSession } from '../../src/media/bridge/srtp/aes-cm-session.js';
import { createSdesSession, cryptoAttribute, type SdesSuite } from '../../src/media/caller/sdes.js';
import { DtmfReceiver, DtmfSender } from '../../src/media/rtp/dtmf.js';
import { parseRtp, serializeRtp } from '../../src/media/rtp/packet.js';
import { ToneGenerator } from './audio.js';
import { pollUntil } from './until.js';

const STATIC_PT: Partial<Record<CodecName, number>> = { PCMU: 0, PCMA: 8, G722: 9 };

export interface RtpPhoneOptions {
  codec: CodecName;
  /** Defaults to the static type, or 96 for Opus. */
  payloadType?: number;
  /** RFC 4733 payload type; null for a phone without telephone-event. */
  telephoneEventPt?: number | null;
}

export interface ReceivedPacket {
  fromPort: number;
  ssrc: number;
  sequenceNumber: number;
  timestamp: number;
  payloadType: number;
  marker: boolean;
  payloadLength: number;
  atMs: number;
  /** Decoded audio of a voice packet. */
  pcm?: Int16Array;
}

export interface OfferOptions {
  /** Port to advertise (the real one when absent): a wrong one imitates a phone behind NAT. */
  port?: number;
  address?: string;
  direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  /** a=rtcp-mux (RTCP on the RTP port), or a=rtcp:<port> (RFC 3605). */
  rtcpMux?: boolean;
  rtcpPort?: number;
  /** RTP/SAVP with this a=crypto line (tag and suite; the key is the phone's, see useSdes()). */
  sdes?: { tag: number; suite: SdesSuite };
}

export class RtpPhone {
  readonly payloadType: number;
  readonly telephoneEventPt: number | undefined;
  readonly received: ReceivedPacket[] = [];
  readonly digits: string[] = [];
  /** Change to imitate a phone that restarts its stream. */
  ssrc = randomInt(1, 0xffffffff);
  /**
   * Share of outgoing packets lost on the way (0..1): dropped evenly (0.05 drops every 20th),
   * after their sequence number was taken, as a lossy network would.
   */
  dropRatio = 0;
  /** Packets dropped by dropRatio so far. */
  dropped = 0;
  #dropCredit = 0;
  readonly #encoder: AudioCodec;
  readonly #decoder: AudioCodec;
  readonly #dtmfIn: DtmfReceiver;
  #socket: dgram.Socket;
  #target: { address: string; port: number } | undefined;
  #seq = randomInt(0, 0x10000);
  #ts = randomInt(0, 0xffffffff);
  #timer: NodeJS.Timeout | undefined;
  #frameSource: (() => Int16Array) | undefined;
  #dtmfOut: DtmfSender | undefined;
  #closed = false;
  /** SDES-SRTP once useSdes() was called: what it sends is protected, what it receives must authenticate. */
  #srtp: AesCmSrtpSession | undefined;
  /** The phone's own SDES master key and salt (30 bytes), offered by offer({ sdes }). */
  readonly sdesKey = randomBytes(30);
  /** Received packets that failed SRTP authentication (or were plain RTP) and were dropped. */
  srtpRejected = 0;
  /** RTCP arriving on the RTP port (rtcp-mux); without a handler it is ignored. */
  onRtcp: ((packet: Buffer, from: { address: string; port: number }) => void) | undefined;

  static async create(options: RtpPhoneOptions): Promise<RtpPhone> {
    return new RtpPhone(options, await bindLoopback());
  }

  private constructor(options: RtpPhoneOptions, socket: dgram.Socket) {
    this.payloadType = options.payloadType ?? STATIC_PT[options.codec] ?? 96;
    this.telephoneEventPt = options.telephoneEventPt === null ? undefined : (options.telephoneEventPt ?? 101);
    this.#encoder = createCodec(options.codec, { sampleRate: 16000 });
    this.#decoder = createCodec(options.codec, { sampleRate: 16000 });
    this.#dtmfIn = new DtmfReceiver({ clockRate: this.#encoder.rtpClockRate });
    if (this.telephoneEventPt !== undefined) this.#dtmfOut = new DtmfSender({ clockRate: this.#encoder.rtpClockRate });
    this.#socket = socket;
    this.#listen(socket);
  }

  get codec(): AudioCodec {
    return this.#encoder;
  }

  get sampleRate(): number {
    return this.#encoder.sampleRate;
  }

  /** The port the phone currently sends from and listens on. */
  get port(): number {
    return (this.#socket.address() as AddressInfo).port;
  }

  /** An SDP offer for this phone. */
  offer(options: OfferOptions = {}): string {
    const address = options.address ?? '127.0.0.1';
    const c = this.#encoder;
    const pts = [this.payloadType, ...(this.telephoneEventPt === undefined ? [] : [this.telephoneEventPt])];
    const lines = [
      'v=0',
      `o=phone ${this.ssrc} 1 IN IP4 ${address}`,
      's=rtp-phone',
      `c=IN IP4 ${address}`,
      't=0 0',
      `m=audio ${options.port ?? this.port} ${options.sdes === undefined ? 'RTP/AVP' : 'RTP/SAVP'} ${pts.join(' ')}`,
      `a=rtpmap:${this.payloadType} ${c.name}/${c.rtpClockRate}${c.name === 'opus' ? '/2' : ''}`,
    ];
    if (this.telephoneEventPt !== undefined) {
      lines.push(`a=rtpmap:${this.telephoneEventPt} telephone-event/${c.rtpClockRate}`, `a=fmtp:${this.telephoneEventPt} 0-16`);
    }
    lines.push('a=ptime:20', `a=${options.direction ?? 'sendrecv'}`);
    if (options.rtcpMux === true) lines.push('a=rtcp-mux');
    if (options.rtcpPort !== undefined) lines.push(`a=rtcp:${options.rtcpPort}`);
    if (options.sdes !== undefined) lines.push(`a=${cryptoAttribute(options.sdes.tag, options.sdes.suite, this.sdesKey)}`);
    return `${lines.join('\r\n')}\r\n`;
  }

  /** From now on RTP both ways is SDES-SRTP: ours with sdesKey, theirs with `remoteKeySalt`. */
  useSdes(suite: SdesSuite, remoteKeySalt: Buffer): void {
    this.#srtp = createSdesSession(suite, this.sdesKey, remoteKeySalt);
  }

  /** Where to send (the endpoint's address and port from its SDP). */
  sendTo(address: string, port: number): void {
    this.#target = { address, port };
  }

  /** Sends a continuous tone in 20 ms packets until stopAudio(). */
  startTone(freqHz: number, amplitude = 8000): void {
    const gen = new ToneGenerator(freqHz, this.sampleRate, amplitude);
    this.startFrames(() => gen.next(this.#encoder.frameSamples));
  }

  /** Sends the frames `next` produces, one per 20 ms. */
  startFrames(next: () => Int16Array): void {
    this.#frameSource = next;
    if (this.#timer === undefined) this.#timer = setInterval(() => this.#tick(), 20);
  }

  stopAudio(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#frameSource = undefined;
  }

  /** Sends one voice frame now (outside the timer). */
  sendFrame(pcm: Int16Array): void {
    this.#sendPacket(this.payloadType, this.#ts, false, this.#encoder.encode(pcm));
    this.#ts = (this.#ts + this.#encoder.timestampStep) >>> 0;
  }

  /** Sends raw bytes from the phone's socket. */
  sendRaw(bytes: Buffer): void {
    if (this.#target) this.#socket.send(bytes, this.#target.port, this.#target.address);
  }

  /**
   * Queues RFC 4733 digits; voice pauses while they go out (the timer must run: startTone or
   * startFrames). Resolves when the last end packet has been sent.
   */
  async sendDigits(digits: string, durationMs = 100): Promise<void> {
    if (!this.#dtmfOut) throw new Error('this phone has no telephone-event');
    this.#dtmfOut.enqueue(digits, durationMs);
    if (this.#timer === undefined) this.#timer = setInterval(() => this.#tick(), 20);
    while (this.#dtmfOut.busy && !this.#closed) await new Promise((r) => setTimeout(r, 10));
  }

  /** Moves to a new source port, as a NAT rebinding does; the old socket is closed. */
  async changeSourcePort(): Promise<number> {
    const old = this.#socket;
    this.#socket = await bindLoopback();
    this.#listen(this.#socket);
    await new Promise<void>((resolve) => old.close(() => resolve()));
    return this.port;
  }

  /** Decoded audio received since packet index `from`, in arrival order. */
  audio(from = 0): Int16Array {
    const parts = this.received.slice(from).flatMap((p) => (p.pcm ? [p.pcm] : []));
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Resolves once `count` packets (in total) have been received. */
  async waitForPackets(count: number, timeoutMs = 2000): Promise<void> {
    await pollUntil(() => this.received.length >= count, timeoutMs, () => `phone received ${this.received.length} of ${count} packets in ${timeoutMs} ms`);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.stopAudio();
    this.#encoder.close?.();
    this.#decoder.close?.();
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #listen(socket: dgram.Socket): void {
    socket.on('message', (msg, rinfo) => {
      const second = msg.length > 1 ? (msg[1] as number) : 0;
      if (second >= 192 && second <= 223) {
        this.onRtcp?.(msg, { address: rinfo.address, port: rinfo.port });
        return;
      }
      const clear = this.#srtp === undefined ? msg : this.#srtp.unprotectRtp(msg);
      if (clear === null) {
        this.srtpRejected++;
        return;
      }
      let view;
      try {
        view = parseRtp(clear);
      } catch {
        return;
      }
      const rec: ReceivedPacket = {
        fromPort: rinfo.port,
        ssrc: view.ssrc,
        sequenceNumber: view.sequenceNumber,
        timestamp: view.timestamp,
        payloadType: view.payloadType,
        marker: view.marker,
        payloadLength: view.payload.length,
        atMs: performance.now(),
      };
      if (view.payloadType === this.payloadType) {
        rec.pcm = Int16Array.from(this.#decoder.decode(view.payload));
      } else if (view.payloadType === this.telephoneEventPt) {
        const press = this.#dtmfIn.receive(view.payload, view.timestamp);
        if (press) this.digits.push(press.digit);
      }
      this.received.push(rec);
    });
  }

  #tick(): void {
    const ts = this.#ts;
    this.#ts = (ts + this.#encoder.timestampStep) >>> 0;
    const dtmf = this.#dtmfOut;
    if (dtmf?.busy) {
      const p = dtmf.next(ts);
      if (p) {
        this.#sendPacket(this.telephoneEventPt!, p.timestamp, p.marker, p.payload);
        return;
      }
    }
    if (this.#frameSource) this.#sendPacket(this.payloadType, ts, false, this.#encoder.encode(this.#frameSource()));
    else if (!dtmf?.busy) this.stopAudio();
  }

  #sendPacket(payloadType: number, timestamp: number, marker: boolean, payload: Uint8Array): void {
    if (!this.#target || this.#closed) return;
    const pkt = serializeRtp({ payloadType, sequenceNumber: this.#seq, timestamp, ssrc: this.ssrc, marker, payload });
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#dropCredit += this.dropRatio;
    if (this.#dropCredit >= 1) {
      this.#dropCredit -= 1;
      this.dropped++;
      return;
    }
    this.#socket.send(this.#srtp === undefined ? pkt : this.#srtp.protectRtp(Buffer.from(pkt)), this.#target.port, this.#target.address);
  }
}

function bindLoopback(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
