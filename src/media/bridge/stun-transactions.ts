import type { TransportAddress } from './types.js';

export interface RetransmitPolicy {
  /** First retransmission timeout, doubled after each send up to `maxRtoMs`. */
  initialRtoMs: number;
  maxRtoMs: number;
  /** Total sends, the first included; 1 means no retransmission. */
  maxSends: number;
}

export interface TransactionOutcome<T> {
  context: T;
  /** Milliseconds from the last send to the answer. */
  rttMs: number;
}

interface Pending<T> {
  id: string;
  to: TransportAddress;
  bytes: Buffer;
  key: Buffer;
  context: T;
  policy: RetransmitPolicy;
  sends: number;
  lastSentAt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Outstanding STUN client transactions (RFC 5389 §7.2.1): retransmits each on its timer, matches
 * answers by transaction id and source address, and reports a timeout once the last send went
 * unanswered. The owner supplies the send function and the timeout callback.
 */
export class StunTransactions<T> {
  readonly #pending = new Map<string, Pending<T>>();

  constructor(
    private readonly send: (bytes: Buffer, to: TransportAddress) => void,
    private readonly onTimeout: (context: T) => void,
  ) {}

  get size(): number {
    return this.#pending.size;
  }

  start(id: string, bytes: Buffer, to: TransportAddress, key: Buffer, context: T, policy: RetransmitPolicy): void {
    const p: Pending<T> = {
      id,
      to,
      bytes,
      key,
      context,
      policy,
      sends: 0,
      lastSentAt: 0,
      timer: undefined,
    };
    this.#pending.set(id, p);
    this.#transmit(p);
  }

  /** The integrity key of a pending transaction from `from`, or undefined if none matches. */
  keyFor(id: string, from: TransportAddress): Buffer | undefined {
    const p = this.#pending.get(id);
    if (p === undefined || p.to.port !== from.port || p.to.host !== from.host) return undefined;
    return p.key;
  }

  /** Completes a transaction on an authenticated answer. */
  complete(id: string): TransactionOutcome<T> | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    clearTimeout(p.timer);
    this.#pending.delete(id);
    return { context: p.context, rttMs: performance.now() - p.lastSentAt };
  }

  /** Drops transactions whose context matches, without reporting them. */
  cancelWhere(match: (context: T) => boolean): void {
    for (const p of this.#pending.values()) {
      if (match(p.context)) {
        clearTimeout(p.timer);
        this.#pending.delete(p.id);
      }
    }
  }

  cancelAll(): void {
    for (const p of this.#pending.values()) clearTimeout(p.timer);
    this.#pending.clear();
  }

  #transmit(p: Pending<T>): void {
    p.sends++;
    p.lastSentAt = performance.now();
    this.send(p.bytes, p.to);
    const rto = Math.min(p.policy.initialRtoMs * 2 ** (p.sends - 1), p.policy.maxRtoMs);
    p.timer = setTimeout(() => {
      if (this.#pending.get(p.id) !== p) return;
      if (p.sends < p.policy.maxSends) {
        this.#transmit(p);
      } else {
        this.#pending.delete(p.id);
        this.onTimeout(p.context);
      }
    }, rto);
  }
}
