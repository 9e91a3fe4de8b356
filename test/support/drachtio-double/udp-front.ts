/**
 * Real SIP over UDP in front of a DrachtioDouble, so a real SIP peer (a Kamailio, sipp) can reach
 * a gateway that runs against the double: requests arriving on a 127.0.0.1 socket are injected
 * as coming from their real source, and every response the double sends to the network (its own
 * 100 Trying, the app's answers) goes back to that source.
 *
 * It plays the part of drachtio-server's transaction layer that a UDP peer relies on: a
 * retransmitted request is not delivered twice, it gets the last response again. Requests the
 * app sends (a BYE from the gateway) stay in the double for the test to answer, as without it,
 * unless relay() was called: then every one of them goes out over UDP to where drachtio-server
 * would send it, and the peer's answers come back to the app (a real sipp at both ends of a
 * transfer, say).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseSipMessage, type SipMessage } from '../sip-messages.js';
import type { InjectedRequest } from './network-side.js';
import type { CapturedRequest } from './stack-context.js';
import type { DrachtioDouble } from './server.js';

interface Transaction {
  last: SipMessage | undefined;
}

/** Transactions are forgotten this long after they started (RFC 3261's 64*T1 is 32 s). */
const TRANSACTION_MEMORY_MS = 32_000;
/** Headers of a relayed answer the double builds itself from the request. */
const REBUILT = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'contact', 'content-length', 'content-type']);

export class UdpSipFront {
  /** Requests received (retransmissions included), by method: what reached this instance. */
  readonly received = new Map<string, number>();
  readonly #socket: Socket;
  readonly #txns = new Map<string, Transaction>();
  #double: DrachtioDouble | undefined;
  #onRequest: ((req: SipMessage, handle: InjectedRequest) => void) | undefined;
  /** Requests relayed to a peer and not yet finally answered, by top Via branch and method. */
  readonly #relayed = new Map<string, CapturedRequest>();
  #relaying = false;
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (buf, rinfo) => this.#onDatagram(buf.toString('utf8'), rinfo));
    // A peer that went away (ICMP port unreachable) is no reason to stop serving the others.
    socket.on('error', () => {});
  }

  /** Binds 127.0.0.1:`port` (0: a free port). Start the double with `sipPort: front.port` so its Contact points here. */
  static async bind(port = 0): Promise<UdpSipFront> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpSipFront(socket);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /** Starts feeding `double`; `onRequest` sees each new request (not its retransmissions) as injected. */
  attach(double: DrachtioDouble, onRequest?: (req: SipMessage, handle: InjectedRequest) => void): void {
    this.#double = double;
    this.#onRequest = onRequest;
  }

  /** From now on, every request the app sends goes to its destination over this socket. */
  relay(): void {
    const double = this.#double;
    if (double === undefined) throw new Error('attach() the double first');
    if (this.#relaying) return;
    this.#relaying = true;
    void (async () => {
      while (!this.#closed) {
        let r: CapturedRequest;
        try {
          r = await double.nextRequest(3_600_000);
        } catch {
          return; // the double closed
        }
        if (r.method !== 'ACK') this.#relayed.set(`${topBranch(r.message)}|${r.method}`, r);
        this.#send(r.message, r.destination);
      }
    })();
  }

  /** Stops answering at once, as a crashed host would. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  #onDatagram(text: string, rinfo: RemoteInfo): void {
    const double = this.#double;
    if (double === undefined || this.#closed || text.trim() === '') return;
    let msg: SipMessage;
    try {
      msg = parseSipMessage(text);
    } catch {
      return;
    }
    if (!msg.isRequest) {
      this.#onResponse(msg);
      return;
    }
    const method = msg.method ?? '';
    this.received.set(method, (this.received.get(method) ?? 0) + 1);
    const key = `${topBranch(msg)}|${method}`;
    const seen = this.#txns.get(key);
    if (seen !== undefined) {
      if (seen.last !== undefined) this.#send(seen.last, rinfo);
      return;
    }
    const txn: Transaction = { last: undefined };
    if (method !== 'ACK') {
      this.#txns.set(key, txn);
      setTimeout(() => this.#txns.delete(key), TRANSACTION_MEMORY_MS).unref();
    }
    let handle: InjectedRequest;
    try {
      handle = double.injectRequest(text, { source: { address: rinfo.address, port: rinfo.port }, protocol: 'udp' });
    } catch {
      return;
    }
    handle.onResponse((res) => {
      txn.last = res;
      this.#send(res, rinfo);
    });
    this.#onRequest?.(msg, handle);
  }

  /** A peer's answer to a relayed request goes back to the app; others are the test's business. */
  #onResponse(res: SipMessage): void {
    const method = /^\s*\d+\s+(\S+)/.exec(res.get('cseq') ?? '')?.[1]?.toUpperCase() ?? '';
    const key = `${topBranch(res)}|${method}`;
    const r = this.#relayed.get(key);
    const status = res.status ?? 0;
    // drachtio-server absorbs 100 Trying; a final answer's retransmission finds nothing.
    if (r === undefined || status <= 100) return;
    if (status >= 200) this.#relayed.delete(key);
    const headers = res.headers.filter(([n]) => !REBUILT.has(n.toLowerCase()));
    const body = res.body === '' ? undefined : res.body;
    const contact = res.get('contact');
    this.#double?.respond(r, status, {
      reason: res.reason,
      headers,
      ...(body === undefined ? {} : { body, contentType: res.get('content-type') }),
      ...(contact === undefined ? {} : { contact }),
      ...(res.toTag === undefined ? {} : { toTag: res.toTag }),
    });
  }

  #send(m: SipMessage, to: { address: string; port: number }): void {
    if (this.#closed) return;
    this.#socket.send(Buffer.from(m.toString(), 'utf8'), to.port, to.address);
  }
}

function topBranch(m: SipMessage): string {
  const via = m.get('via') ?? '';
  return /;\s*branch=([^;,\s]+)/i.exec(via)?.[1] ?? `${m.callId}/${m.get('cseq') ?? ''}`;
}
