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

  /** The sending state of `ssrc`, created at its first packet. */
  sendingRtp(ssrc: number, seq: number): StreamState {
    let state = this.#sendRtp.get(ssrc);
    if (state === undefined) {
      state = new StreamState(seq);
      this.#sendRtp.set(ssrc, state);
    }
    return state;
  }

  /** The receiving state of `ssrc`; undefined until a packet of it has been authenticated. */
  receivedRtp(ssrc: number): StreamState | undefined {
    return this.#recvRtp.get(ssrc);
  }

  /** Records an authenticated packet (creating the state at the first one). */
  acceptRtp(ssrc: number, state: StreamState | undefined, seq: number, roc: number): void {
    const accepted = state ?? new StreamState(seq);
    if (state === undefined) this.#recvRtp.set(ssrc, accepted);
    accepted.commit(seq, roc);
    accepted.replay.accept(roc * 65536 + seq);
  }

  sendingRtcp(ssrc: number): RtcpStreamState {
    let state = this.#sendRtcp.get(ssrc);
    if (state === undefined) {
      state = new RtcpStreamState();
      this.#sendRtcp.set(ssrc, state);
    }
    return state;
  }

  receivedRtcp(ssrc: number): RtcpStreamState | undefined {
    return this.#recvRtcp.get(ssrc);
  }

  acceptRtcp(ssrc: number, state: RtcpStreamState | undefined, index: number): void {
    const accepted = state ?? new RtcpStreamState();
    if (state === undefined) this.#recvRtcp.set(ssrc, accepted);
    accepted.replay.accept(index);
  }
}
