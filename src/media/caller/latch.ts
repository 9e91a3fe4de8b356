/**
 * Symmetric RTP ("comedia", FreeSWITCH's auto-adjust): we send to where the caller's RTP comes
 * from, not only to what its SDP says, because a phone behind NAT advertises an address nobody can
 * reach. This class holds the rule; it sees only addresses, SSRCs and a clock.
 *
 * The rule:
 *  1. Before any packet arrives, send to the SDP address (none when the SDP says 0.0.0.0).
 *  2. The first acceptable packet latches its source address:port.
 *  3. Packets from the latched source are always accepted.
 *  4. A different source takes over only if it carries the latched SSRC (a NAT rebinding moves the
 *     port, not the SSRC), or if the latched source has been silent for `relatchAfterSilenceMs`
 *     (the phone moved and restarted its stream), or if it is exactly the address:port the SDP
 *     signalled (a stray stream, say an old call's phone still sending to a port the kernel or
 *     the range gave this call, latched first; the phone named in the SDP wins it back).
 *     Otherwise its packets are rejected: a stranger spraying RTP at the port while the caller
 *     talks cannot steal the call's audio.
 *  5. New SDP with a different address or port (re-INVITE) unlatches: rule 1 again. The same
 *     address again, or the old-style hold address 0.0.0.0, keeps the latch.
 *
 * The caller of consider() has already checked that the packet looks like our RTP (version 2 and a
 * negotiated payload type), so garbage never latches.
 */

export type LatchVerdict = 'current' | 'latched' | 'rejected';

export interface LatchOptions {
  relatchAfterSilenceMs?: number;
}

export const DEFAULT_RELATCH_AFTER_SILENCE_MS = 1500;

export class SymmetricRtpLatch {
  readonly #relatchAfterMs: number;
  #sdpAddress: string | undefined;
  #sdpPort = 0;
  /** The SDP gave no usable address (0.0.0.0): nowhere to send until a packet latches. */
  #placeholder = false;
  #latched = false;
  #address = '';
  #port = 0;
  #ssrc = 0;
  #lastMs = 0;
  #latchCount = 0;
  #rejected = 0;

  constructor(options: LatchOptions = {}) {
    this.#relatchAfterMs = options.relatchAfterSilenceMs ?? DEFAULT_RELATCH_AFTER_SILENCE_MS;
  }

  /**
   * The address:port from SDP. A change unlatches; the same values (a session refresh or a hold
   * re-INVITE repeating the phone's private address) keep the latch, or NAT would break on hold.
   */
  setSignalled(address: string, port: number): void {
    if (address === '0.0.0.0' || port === 0) {
      // RFC 2543 hold ("don't send to me"): the direction already stops our sending; keep what
      // we learnt so that the unhold finds the NAT binding still latched.
      this.#placeholder = true;
      return;
    }
    const unchanged = address === this.#sdpAddress && port === this.#sdpPort;
    this.#placeholder = false;
    if (unchanged) return;
    this.#sdpAddress = address;
    this.#sdpPort = port;
    this.#latched = false;
  }

  /** Decides about a packet that passed validation; updates the latch. Allocation-free. */
  consider(address: string, port: number, ssrc: number, nowMs: number): LatchVerdict {
    if (this.#latched) {
      if (port === this.#port && address === this.#address) {
        this.#ssrc = ssrc;
        this.#lastMs = nowMs;
        return 'current';
      }
      const signalled = !this.#placeholder && port === this.#sdpPort && address === this.#sdpAddress;
      if (!signalled && ssrc !== this.#ssrc && nowMs - this.#lastMs < this.#relatchAfterMs) {
        this.#rejected++;
        return 'rejected';
      }
    }
    this.#latched = true;
    this.#address = address;
    this.#port = port;
    this.#ssrc = ssrc;
    this.#lastMs = nowMs;
    this.#latchCount++;
    return 'latched';
  }

  get isLatched(): boolean {
    return this.#latched;
  }

  /** Where to send now; undefined when there is nowhere (no packet yet and SDP said 0.0.0.0). */
  get targetAddress(): string | undefined {
    if (this.#latched) return this.#address;
    return this.#placeholder ? undefined : this.#sdpAddress;
  }

  get targetPort(): number {
    return this.#latched ? this.#port : this.#sdpPort;
  }

  /** "address:port" of the latched source, for stats. */
  get latchedTo(): string | undefined {
    return this.#latched ? `${this.#address}:${this.#port}` : undefined;
  }

  /** Times a source was latched (the first latch included). */
  get latchCount(): number {
    return this.#latchCount;
  }

  /** Packets refused from a second source while the latched one was alive. */
  get rejected(): number {
    return this.#rejected;
  }
}
