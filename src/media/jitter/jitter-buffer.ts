/**
 * Jitter buffer for one incoming SSRC, keyed by sequence number, one 20 ms frame per packet.
 *
 * push() stores packets as they arrive (any order); pop() is called once per 20 ms tick and
 * returns the next frame's payload, 'missing' when that packet never arrived in time (run the
 * decoder's PLC), or undefined while there is nothing to play (not started yet, or underrun).
 *
 * Playout starts once `target` frames are buffered and then advances one sequence number per
 * tick. The target follows the measured interarrival jitter (RFC 3550 estimator): it grows at once
 * when jitter rises and shrinks one frame at a time after a quiet spell, dropping a frame
 * (preferably a silent one) to bring the actual depth down, sooner when it is two or more frames
 * too deep (what a delay spike or a stalled tick leaves behind). A large sequence jump confirmed by the
 * next packet (sender restart, SSRC reuse) restarts the buffer.
 *
 * Push every packet of the SSRC, telephone-events included, so that a sequence gap really means
 * loss; pop() reports the popped packet's payload type for routing. Each packet is one tick: a
 * sender using another packet time (say 30 ms G.711) yields payloads of that length, which the
 * consumer must spread over ticks itself.
 *
 * When nothing at all is buffered, the playout clock keeps running with 'missing' for up to
 * maxConcealMs (the newest packets may have been lost). If a packet of that stretch arrives after
 * all, it was a delay spike: the speculation is taken back and playout rebuffers from that packet.
 * If the drought outlasts maxConcealMs it is a pause: the speculation is taken back, pop() returns
 * undefined (an underrun), and playout restarts where the packets resume.
 *
 * Storage is preallocated (FrameRing), so the steady state allocates only the payload view
 * returned by pop().
 */
import { seqDiff } from '../rtp/sequence.js';
import { FrameRing } from './frame-ring.js';
import { InterarrivalJitter } from './interarrival-jitter.js';
import { PlayoutTarget } from './playout-target.js';

/**
 * How much sooner excess depth of two frames or more is given back than a single extra frame, and
 * how much sooner the target takes its next steps down once it took the first: at the default
 * shrink time a silent frame goes after 200 ms above target and a speech frame after 400 ms, so
 * a 100 ms spike is gone within a few seconds of speech instead of twenty.
 */
const DRAIN_SPEEDUP = 10;

export type JitterPop = Uint8Array | 'missing' | undefined;

export type JitterPushOutcome =
  | 'stored'
  | 'duplicate'
  | 'late'
  | 'too-large'
  /** A far jump waiting for the next packet to confirm it. */
  | 'probation'
  /** A confirmed far jump: the buffer restarted with this packet. */
  | 'resync';

export interface JitterBufferOptions {
  /** RTP clock rate of the stream (48000 for Opus, 8000 for G.711/G.722). */
  clockRate: number;
  frameMs?: number;
  /** Depth before playout starts, and the floor of the adaptive target. */
  minDelayMs?: number;
  /** Ceiling of the adaptive target. */
  maxDelayMs?: number;
  /** Slots in the ring; packets further ahead than this push the oldest out. */
  capacity?: number;
  /** Larger payloads are dropped (Opus' maximum frame is 1275 bytes). */
  maxPayloadBytes?: number;
  /** Target = minDelay + jitterFactor × jitter, rounded up to whole frames. */
  jitterFactor?: number;
  /** How long the target must be too high (and the depth above target) before shrinking. */
  shrinkAfterMs?: number;
  /** RFC 6464 levels at or above this count as silence, the preferred frames to drop. */
  silenceLevel?: number;
  /**
   * When nothing at all is buffered, pop() keeps the playout clock running with 'missing' for up to
   * this long (a burst of loss at the newest packets looks exactly like this); a longer drought is
   * a pause, and playout stops and buffers again from where the packets resume.
   */
  maxConcealMs?: number;
}

export interface JitterStats {
  received: number;
  lost: number;
  late: number;
  duplicates: number;
  /** Frames dropped to shrink the buffer or because it overflowed. */
  dropped: number;
  underruns: number;
  resyncs: number;
  /** Frames between the playout point and the newest packet, in ms. */
  depthMs: number;
  targetMs: number;
  /** Interarrival jitter (RFC 3550 §6.4.1) in ms, and in timestamp units for report blocks. */
  jitterMs: number;
  jitterTimestampUnits: number;
}

export class JitterBuffer {
  readonly #frameMs: number;
  readonly #shrinkTicks: number;
  /** Ticks above target before a frame goes while the buffer is two or more frames too deep. */
  readonly #drainTicks: number;
  readonly #silenceLevel: number;
  readonly #maxConceal: number;
  readonly #ring: FrameRing;
  readonly #target: PlayoutTarget;
  readonly #jitter: InterarrivalJitter;

  #started = false;
  #playing = false;
  #highest = 0; // extended sequence numbers
  #highestTs = 0; // RTP timestamp of the packet at #highest
  #next = 0;
  #probationSeq = -1;
  #excessTicks = 0;
  #concealRun = 0; // frames declared missing in a row with nothing buffered

  #received = 0;
  #lost = 0;
  #late = 0;
  #duplicates = 0;
  #dropped = 0;
  #underruns = 0;
  #resyncs = 0;

  #popTs = 0;
  #popSeq = 0;
  #popPt = 0;
  #popLevel = -1;
  #popMarker = false;

  constructor(options: JitterBufferOptions) {
    this.#frameMs = options.frameMs ?? 20;
    const minFrames = Math.max(1, Math.ceil((options.minDelayMs ?? 40) / this.#frameMs));
    const maxFrames = Math.max(minFrames, Math.floor((options.maxDelayMs ?? 200) / this.#frameMs));
    const shrinkAfterMs = options.shrinkAfterMs ?? 2000;
    this.#shrinkTicks = Math.max(1, Math.round(shrinkAfterMs / this.#frameMs));
    this.#drainTicks = Math.max(1, Math.round(this.#shrinkTicks / DRAIN_SPEEDUP));
    this.#silenceLevel = options.silenceLevel ?? 70;
    this.#maxConceal = Math.max(0, Math.round((options.maxConcealMs ?? 100) / this.#frameMs));
    this.#ring = new FrameRing(
      Math.max(options.capacity ?? 32, maxFrames * 2),
      Math.min(options.maxPayloadBytes ?? 1280, 0xffff),
    );
    this.#target = new PlayoutTarget({
      frameMs: this.#frameMs,
      minFrames,
      maxFrames,
      jitterFactor: options.jitterFactor ?? 4,
      shrinkAfterMs,
      stepAfterMs: shrinkAfterMs / DRAIN_SPEEDUP,
    });
    this.#jitter = new InterarrivalJitter(options.clockRate);
  }

  /**
   * Stores one packet. `arrivalMs` is any monotonic clock in ms (performance.now()); `level` is
   * the packet's RFC 6464 audio level, or -1 when unknown.
   */
  push(
    seq: number,
    timestamp: number,
    payload: Uint8Array,
    arrivalMs: number,
    payloadType = 0,
    marker = false,
    level = -1,
  ): JitterPushOutcome {
    seq &= 0xffff;
    timestamp >>>= 0;
    if (payload.length > this.#ring.maxPayload) return 'too-large';
    if (!this.#started) {
      this.#restart(seq, 0);
      this.#highestTs = timestamp;
      this.#store(this.#highest, timestamp, payload, payloadType, marker, level);
      this.#jitter.update(timestamp, arrivalMs);
      return 'stored';
    }

    const ext = this.#highest + seqDiff(this.#highest & 0xffff, seq);
    const ahead = ext - this.#next;
    const ring = this.#ring;
    const cap = ring.capacity;

    if (ahead < 0 && this.#concealRun > 0 && ext >= this.#next - this.#concealRun) {
      // A frame we declared missing on speculation arrived after all: that drought was a delay
      // spike, not loss. Take the speculation back and buffer up again from this packet, so the
      // delayed audio is heard (one-off extra latency, which the shrinking later removes).
      for (let e = ext; e < this.#next; e++) ring.forget(e);
      this.#lost -= this.#next - ext;
      this.#next = ext;
      this.#concealRun = 0;
      this.#playing = false;
    } else if (ahead < 0) {
      if (-ahead <= cap) {
        this.#jitter.update(timestamp, arrivalMs);
        if (ring.wasPlayed(ext)) {
          // Same sequence as a frame already played: a network duplicate, not a late original.
          this.#duplicates++;
          return 'duplicate';
        }
        this.#late++;
        return 'late';
      }
      return this.#probation(seq, timestamp, payload, arrivalMs, payloadType, marker, level);
    }

    if (ext - this.#highest > cap * 4) {
      // A talk-spurt after a long silence that the forwarding bridge dropped (the JVB forwards no
      // level-127 packets): the sequence and the timestamp both moved on, and the marker says a
      // spurt starts. Probation would throw away its first frame.
      const tsAdvance = (timestamp - this.#highestTs) >>> 0;
      if (marker && tsAdvance > 0 && tsAdvance < 0x80000000) {
        return this.#resync(seq, timestamp, payload, arrivalMs, payloadType, marker, level);
      }
      return this.#probation(seq, timestamp, payload, arrivalMs, payloadType, marker, level);
    }
    this.#probationSeq = -1;

    if (ring.isFilled(ext)) {
      this.#duplicates++;
      return 'duplicate';
    }
    if (ahead >= cap) {
      // Nobody popped for a while (or a burst beyond capacity): make room by dropping the oldest.
      const newNext = ext - cap + 1;
      for (let e = this.#next; e < newNext; e++) this.#drop(e);
      this.#next = newNext;
    }
    this.#jitter.update(timestamp, arrivalMs);
    this.#store(ext, timestamp, payload, payloadType, marker, level);
    if (ext > this.#highest) {
      this.#highest = ext;
      this.#highestTs = timestamp;
    }
    this.#target.update(this.#jitter.ms, arrivalMs);
    return 'stored';
  }

  /**
   * Whether a packet with this sequence number is already stored or already played, i.e. whether
   * push() would call another copy of it a duplicate: the copy's payload need not be decrypted.
   */
  holds(seq: number): boolean {
    if (!this.#started) return false;
    const ext = this.#highest + seqDiff(this.#highest & 0xffff, seq & 0xffff);
    const ahead = ext - this.#next;
    if (ahead >= 0) return this.#ring.isFilled(ext);
    return -ahead <= this.#ring.capacity && this.#ring.wasPlayed(ext);
  }

  /** One tick of playout: see the class comment. */
  pop(): JitterPop {
    if (!this.#started) return undefined;
    let depth = this.#highest - this.#next + 1;
    if (!this.#playing) {
      if (depth < this.#target.frames) return undefined;
      this.#playing = true;
      this.#excessTicks = 0;
    }
    if (depth <= 0) {
      if (this.#concealRun < this.#maxConceal) {
        // Nothing buffered: most likely the newest packets were lost. Keep the clock running.
        this.#concealRun++;
        this.#ring.skip(this.#next);
        this.#popSeq = this.#next & 0xffff;
        this.#next++;
        this.#lost++;
        this.#popLevel = -1;
        this.#popMarker = false;
        return 'missing';
      }
      // Too long for loss: the sender paused. Take back the frames declared missing on speculation
      // so that the stream resumes where its packets resume, and buffer up again.
      for (let i = 1; i <= this.#concealRun; i++) this.#ring.forget(this.#next - i);
      this.#next -= this.#concealRun;
      this.#lost -= this.#concealRun;
      this.#concealRun = 0;
      this.#playing = false;
      this.#underruns++;
      return undefined;
    }
    this.#concealRun = 0;

    // Shrinking: run above target long enough and a frame goes, a silent one if we can wait. One
    // frame over may be the next packet arriving early, so it waits the full shrink time; more is
    // delay a stall or a spike left behind, which is given back a frame every few hundred ms.
    if (depth > this.#target.frames) {
      this.#excessTicks++;
      const head = this.#next;
      const silent = this.#ring.isFilled(head) && this.#ring.level(head) >= this.#silenceLevel;
      const wait = depth - this.#target.frames > 1 ? this.#drainTicks : this.#shrinkTicks;
      if (this.#excessTicks >= wait && (silent || this.#excessTicks >= wait * 2)) {
        this.#drop(head);
        this.#next++;
        depth--;
        this.#excessTicks = 0;
      }
    } else {
      this.#excessTicks = 0;
    }

    const ext = this.#next;
    const ring = this.#ring;
    this.#next++;
    this.#popSeq = ext & 0xffff;
    if (ring.isFilled(ext)) {
      this.#popTs = ring.timestamp(ext);
      this.#popPt = ring.payloadType(ext);
      this.#popLevel = ring.level(ext);
      this.#popMarker = ring.marker(ext);
      return ring.play(ext);
    }
    ring.skip(ext);
    this.#lost++;
    this.#popLevel = -1;
    this.#popMarker = false;
    return 'missing';
  }

  /** Sequence number of the frame the last pop() returned or declared missing. */
  get lastSequence(): number {
    return this.#popSeq;
  }

  /** RTP timestamp, payload type, audio level (-1 unknown) and marker of the last popped payload. */
  get lastTimestamp(): number {
    return this.#popTs;
  }

  get lastPayloadType(): number {
    return this.#popPt;
  }

  get lastLevel(): number {
    return this.#popLevel;
  }

  get lastMarker(): boolean {
    return this.#popMarker;
  }

  get targetMs(): number {
    return this.#target.frames * this.#frameMs;
  }

  get depthMs(): number {
    return this.#started ? Math.max(0, this.#highest - this.#next + 1) * this.#frameMs : 0;
  }

  /** Fills `into` (or a new object) with the counters. */
  stats(into?: JitterStats): JitterStats {
    const s: JitterStats = into ?? {
      received: 0,
      lost: 0,
      late: 0,
      duplicates: 0,
      dropped: 0,
      underruns: 0,
      resyncs: 0,
      depthMs: 0,
      targetMs: 0,
      jitterMs: 0,
      jitterTimestampUnits: 0,
    };
    s.received = this.#received;
    s.lost = this.#lost;
    s.late = this.#late;
    s.duplicates = this.#duplicates;
    s.dropped = this.#dropped;
    s.underruns = this.#underruns;
    s.resyncs = this.#resyncs;
    s.depthMs = this.depthMs;
    s.targetMs = this.targetMs;
    s.jitterMs = this.#jitter.ms;
    s.jitterTimestampUnits = Math.round(this.#jitter.timestampUnits);
    return s;
  }

  /** Forgets all packets and the stream position (counters are kept). */
  reset(): void {
    this.#started = false;
    this.#playing = false;
    this.#jitter.restart();
    this.#probationSeq = -1;
    this.#ring.clear();
  }

  #probation(
    seq: number,
    timestamp: number,
    payload: Uint8Array,
    arrivalMs: number,
    payloadType: number,
    marker: boolean,
    level: number,
  ): JitterPushOutcome {
    if (seq !== this.#probationSeq) {
      this.#probationSeq = (seq + 1) & 0xffff;
      return 'probation';
    }
    // Two packets in a row agree on the new numbering: restart there. The first of them was not
    // kept; playout starts from the confirming one.
    return this.#resync(seq, timestamp, payload, arrivalMs, payloadType, marker, level);
  }

  /** Restarts the buffer at this packet, on an extended numbering above everything before. */
  #resync(
    seq: number,
    timestamp: number,
    payload: Uint8Array,
    arrivalMs: number,
    payloadType: number,
    marker: boolean,
    level: number,
  ): JitterPushOutcome {
    this.#resyncs++;
    const base = (Math.floor(this.#highest / 0x10000) + 2) * 0x10000;
    this.#ring.clear();
    this.#restart(seq, base);
    this.#highestTs = timestamp;
    this.#jitter.restart();
    this.#jitter.update(timestamp, arrivalMs);
    this.#store(this.#highest, timestamp, payload, payloadType, marker, level);
    return 'resync';
  }

  #restart(seq: number, base: number): void {
    this.#started = true;
    this.#playing = false;
    this.#concealRun = 0;
    this.#highest = base + seq;
    this.#next = this.#highest;
    this.#probationSeq = -1;
    this.#excessTicks = 0;
  }

  #store(ext: number, ts: number, payload: Uint8Array, pt: number, marker: boolean, level: number): void {
    this.#ring.store(ext, ts, payload, pt, marker, level);
    this.#received++;
  }

  /** Gives up on a frame without playing it (shrinking or overflow). */
  #drop(ext: number): void {
    if (this.#ring.skip(ext)) this.#dropped++;
    else this.#lost++;
  }
}
