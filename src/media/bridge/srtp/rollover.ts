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
