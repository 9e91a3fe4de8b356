/**
 * Lets the owner of a BridgeTransport handle an RTP packet from its clear header (SRTP leaves
 * the header and its extensions unencrypted) and skip the decryption of a payload it would throw
 * away: silence the engine never decodes, a local caller's echo. Such packets are never
 * authenticated, and the SRTP session never sees them: its rollover counter is estimated from
 * the highest authenticated sequence number, which is only right while fewer than 32768 numbers
 * go by unseen. So a budget per SSRC forces a packet through decryption after every
 * `MAX_SKIPPED_IN_A_ROW` skipped ones: the ROC and replay window move with the stream (and a
 * forged header cannot hide a stream for long), at 1/256 of the decryption cost.
 */
import { rtpSsrc } from './packet-demux.js';

/**
 * Called with a still-encrypted RTP packet from the selected pair, before unprotect. Returns
 * true to have it decrypted and delivered as usual; false when the callee has taken what it
 * needed from the header and the payload is not wanted (the packet is then never decrypted).
 */
export type RtpPrefilter = (packet: Buffer) => boolean;

/** About 5 s of a 20 ms stream; far below the 32768 that would make the ROC estimate ambiguous. */
export const MAX_SKIPPED_IN_A_ROW = 256;

export class PrefilterBudget {
  readonly #skipped = new Map<number, number>();

  /** True when `packet` may be skipped; counts it as skipped if `filter` declines it. */
  skip(packet: Buffer, filter: RtpPrefilter): boolean {
    const ssrc = rtpSsrc(packet);
    const n = this.#skipped.get(ssrc) ?? 0;
    if (n >= MAX_SKIPPED_IN_A_ROW || filter(packet)) return false;
    this.#skipped.set(ssrc, n + 1);
    return true;
  }

  /** A packet of this SSRC was decrypted and authenticated: its budget starts over. */
  authenticated(packet: Buffer): void {
    if (this.#skipped.size !== 0) this.#skipped.delete(rtpSsrc(packet));
  }

  /** New keys: the SRTP state the budget protected is gone. */
  clear(): void {
    this.#skipped.clear();
  }
}
