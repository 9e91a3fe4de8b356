/**
 * A scripted XMPP participant for tests: logs in, joins rooms, records every stanza it receives
 * and lets a test wait for one. The fake focus is built on it, and tests use it directly for
 * other occupants (an intruder sending Jingle, a second browser joining).
 */
import { randomUUID } from 'node:crypto';
import {
  closeTestClients,
  connectTestClient,
  joinMuc,
  type Client,
  type TestClientOptions,
} from '../xmpp-client.js';
import type { ProsodyHarness } from '../prosody.js';
import { xml, type Element } from '../../../src/xmpp/connection.js';

export type StanzaPredicate = (stanza: Element) => boolean;

interface Waiter {
  match: StanzaPredicate;
  resolve: (s: Element) => void;
  reject: (err: Error) => void;
}

export class MucTestParticipant {
  readonly client: Client;
  /** Every stanza received, oldest first. */
  readonly received: Element[] = [];
  readonly #waiters = new Set<Waiter>();

  protected constructor(client: Client) {
    this.client = client;
    client.on('stanza', (stanza: Element) => {
      this.received.push(stanza);
      for (const w of [...this.#waiters]) {
        if (w.match(stanza)) {
          this.#waiters.delete(w);
          w.resolve(stanza);
        }
      }
    });
  }

  static async connect(harness: ProsodyHarness, opts: TestClientOptions = {}): Promise<MucTestParticipant> {
    return new MucTestParticipant(await connectTestClient(harness, opts));
  }

  /** Our own full JID. */
  get jid(): string {
    return this.client.jid?.toString() ?? '';
  }

  /**
   * The first stanza matching `match`: one already received (unless `includePast` is false), or
   * the next one to arrive within `timeoutMs`.
   */
  waitFor(match: StanzaPredicate, timeoutMs = 5000, includePast = true): Promise<Element> {
    if (includePast) {
      const seen = this.received.find(match);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no matching stanza within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** Joins `roomJid` as `nick`; resolves with the self-presence. */
  joinRoom(roomJid: string, nick: string, extra: Element[] = []): Promise<Element> {
    return joinMuc(this.client, roomJid, nick, extra);
  }

  async leaveRoom(roomJid: string, nick: string): Promise<void> {
    await this.client.send(xml('presence', { to: `${roomJid}/${nick}`, type: 'unavailable' }));
  }

  /** Sends an IQ and resolves with the reply stanza, result or error alike (tests inspect errors). */
  async request(iq: Element, timeoutMs = 5000): Promise<Element> {
    const id = typeof iq.attrs['id'] === 'string' ? (iq.attrs['id'] as string) : randomUUID();
    iq.attrs['id'] = id;
    const reply = this.waitFor(
      (s) => s.is('iq') && s.attrs['id'] === id && (s.attrs['type'] === 'result' || s.attrs['type'] === 'error'),
      timeoutMs,
      false,
    );
    await this.client.send(iq);
    return reply;
  }

  /** Like request() but throws on an error reply. */
  async requestOk(iq: Element, timeoutMs = 5000): Promise<Element> {
    const reply = await this.request(iq, timeoutMs);
    if (reply.attrs['type'] === 'error') throw new Error(`iq refused: ${reply.toString()}`);
    return reply;
  }

  async close(): Promise<void> {
    for (const w of this.#waiters) w.reject(new Error('participant closed'));
    this.#waiters.clear();
    await closeTestClients(this.client);
  }
}

/** The condition element name of an error stanza (e.g. 'forbidden'), or undefined. */
export function errorCondition(stanza: Element): string | undefined {
  const error = stanza.getChild('error');
  return error
    ?.getChildElements()
    .find((c) => c.attrs['xmlns'] === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name;
}
