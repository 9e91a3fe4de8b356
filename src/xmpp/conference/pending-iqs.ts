import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { IqTimeoutError, XmppStanzaError } from '../connection.js';

interface Pending {
  resolve: (reply: Element) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The session's outstanding IQ requests. Unlike the library's iqCaller, every request can be
 * cancelled, so closing a call releases its timers at once instead of when they expire.
 */
export class PendingIqs {
  readonly #pending = new Map<string, Pending>();
  readonly #send: (stanza: Element) => Promise<void>;

  constructor(send: (stanza: Element) => Promise<void>) {
    this.#send = send;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Sends `iq` and resolves with the result stanza; an error reply rejects with XmppStanzaError. */
  request(iq: Element, timeoutMs: number): Promise<Element> {
    let id = iq.attrs['id'];
    if (typeof id !== 'string' || id === '') {
      id = randomUUID();
      iq.attrs['id'] = id;
    }
    const key = id as string;
    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(new IqTimeoutError(`no reply to iq ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(key, { resolve, reject, timer });
      this.#send(iq).catch((err: unknown) => this.#settle(key, (p) => p.reject(asError(err))));
    });
  }

  /** Offer an incoming stanza; true when it answered one of our requests. */
  handleStanza(stanza: Element): boolean {
    if (!stanza.is('iq')) return false;
    const type = stanza.attrs['type'];
    if (type !== 'result' && type !== 'error') return false;
    const id = stanza.attrs['id'];
    if (typeof id !== 'string') return false;
    return this.#settle(id, (p) => {
      const errorEl = type === 'error' ? stanza.getChild('error') : undefined;
      if (type === 'error') {
        p.reject(
          errorEl ? XmppStanzaError.fromErrorElement(errorEl) : new XmppStanzaError('undefined-condition'),
        );
      } else {
        p.resolve(stanza);
      }
    });
  }

  /** Rejects every outstanding request with `err`. */
  cancelAll(err: Error): void {
    for (const key of [...this.#pending.keys()]) this.#settle(key, (p) => p.reject(err));
  }

  #settle(id: string, action: (p: Pending) => void): boolean {
    const p = this.#pending.get(id);
    if (!p) return false;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    action(p);
    return true;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
