import { ReplayWindow } from './replay-window.js';

/**
 * Guesses the rollover counter of a received sequence number from the highest one seen so far
 * (RFC 3711 Appendix A), so that a wrap of the 16-bit sequence number and late packets from
 * before the wrap both get the right 48-bit index.
 */
export function estimateRoc(roc: number, highestSeq: number, seq: number): number {
  if (highestSeq < 32768) {
    // At ROC 0 there is no earlier cycle: a far-behind number is read as a jump forward.
    return seq - highestSeq > 32768 && roc > 0 ? roc - 1 : roc;
  }
  return highestSeq - 32768 > seq ? roc + 1 : roc;
}

/** Per-SSRC state of one direction of an SRTP stream: ROC, highest sequence number, replay window. */
export class StreamState {
  roc = 0;
  highestSeq: number;
  readonly replay = new ReplayWindow();

  constructor(firstSeq: number) {
    this.highestSeq = firstSeq;
  }

  /** ROC to use for `seq` (not yet committed). */
  rocFor(seq: number): number {
    return estimateRoc(this.roc, this.highestSeq, seq);
  }

  /** Records a packet as sent/accepted with the ROC `rocFor` gave. */
  commit(seq: number, roc: number): void {
    const index = roc * 65536 + seq;
    if (index > this.roc * 65536 + this.highestSeq) {
      this.roc = roc;
      this.highestSeq = seq;
    }
  }
}

/** Per-SSRC SRTCP state: the next index to send, or the replay window of received ones. */
export class RtcpStreamState {
  nextIndex = 0;
  readonly replay = new ReplayWindow();
}

/**
 * The per-SSRC states of one SRTP session, both directions, both RTP and RTCP. The cipher
 * profiles differ only in how they encrypt; which state a packet uses is the same for all.
 */
export class SrtpStreams {
  readonly #sendRtp = new Map<number, StreamState>();
  readonly #recvRtp = new Map<number, StreamState>();
  readonly #sendRtcp = new Map<number, RtcpStreamState>();
  readonly #recvRtcp = new Map<number, RtcpStreamState>();

  /** The ROC for a packet we send (the stream's state is created at its first packet). */
  sendRtpRoc(ssrc: number, seq: number): number {
    let state = this.#sendRtp.get(ssrc);
    if (state === undefined) {
      state = new StreamState(seq);
      this.#sendRtp.set(ssrc, state);
    }
    const roc = state.rocFor(seq);
    state.commit(seq, roc);
    return roc;
  }

  /**
   * The ROC a received packet must be authenticated with, or -1 when its index was already
   * seen (a replay). Nothing is recorded until acceptRtp(): a packet that fails authentication
   * (a spoofed SSRC, say) must not create or move any state.
   */
  receiveRtpRoc(ssrc: number, seq: number): number {
    const state = this.#recvRtp.get(ssrc);
    if (state === undefined) return 0;
    const roc = state.rocFor(seq);
    return state.replay.isFresh(roc * 65536 + seq) ? roc : -1;
  }

  /** Records an authenticated packet (creating the state at the first one). */
  acceptRtp(ssrc: number, seq: number, roc: number): void {
    let state = this.#recvRtp.get(ssrc);
    if (state === undefined) {
      state = new StreamState(seq);
      this.#recvRtp.set(ssrc, state);
    }
    state.commit(seq, roc);
    state.replay.accept(roc * 65536 + seq);
  }

  /** The SRTCP index of the next compound packet we send for `ssrc`. */
  nextRtcpIndex(ssrc: number): number {
    let state = this.#sendRtcp.get(ssrc);
    if (state === undefined) {
      state = new RtcpStreamState();
      this.#sendRtcp.set(ssrc, state);
    }
    const index = state.nextIndex;
    state.nextIndex = (index + 1) & 0x7fffffff;
    return index;
  }

  /** False when this SRTCP index of `ssrc` was already seen (a replay). */
  receiveRtcpFresh(ssrc: number, index: number): boolean {
    return this.#recvRtcp.get(ssrc)?.replay.isFresh(index) ?? true;
  }

  /** Records an authenticated SRTCP packet. */
  acceptRtcp(ssrc: number, index: number): void {
    let state = this.#recvRtcp.get(ssrc);
    if (state === undefined) {
      state = new RtcpStreamState();
      this.#recvRtcp.set(ssrc, state);
    }
    state.replay.accept(index);
  }
}
