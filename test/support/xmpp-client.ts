/**
 * Logs a test client in to the test Prosody: PLAIN when credentials are given (on the auth
 * domain by default), anonymous on the main domain otherwise. Resolves once online.
 */
import { silentLogger } from '../../src/log.js';
import { closeXmppClient, createXmppClient, xml, type Client, type Element } from '../../src/xmpp/connection.js';
import type { ProsodyHarness } from './prosody.js';

export interface TestClientOptions {
  username?: string;
  password?: string;
  /** defaults to harness.authDomain with credentials, harness.domain without */
  domain?: string;
  resource?: string;
  /** ms to wait for 'online' (default 5000) */
  timeoutMs?: number;
}

export type { Client };

export async function connectTestClient(harness: ProsodyHarness, opts: TestClientOptions = {}): Promise<Client> {
  const withCredentials = opts.username !== undefined;
  const xmpp = createXmppClient({
    service: harness.service,
    domain: opts.domain ?? (withCredentials ? harness.authDomain : harness.domain),
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.resource !== undefined ? { resource: opts.resource } : {}),
    allowPlain: true,
    logger: silentLogger(),
  });
  // Test clients never reconnect by themselves: a test that restarts Prosody decides what happens.
  xmpp.reconnect.stop();
  const timeoutMs = opts.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      xmpp.start(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`test client not online after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    await closeXmppClient(xmpp).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return xmpp;
}

/** Closes test clients, ignoring ones already gone. */
export async function closeTestClients(...clients: Array<Client | undefined>): Promise<void> {
  await Promise.all(clients.map((c) => (c ? closeXmppClient(c).catch(() => undefined) : undefined)));
}

/** Resolves with the next stanza the client receives that matches, or rejects after timeoutMs. */
export function waitForStanza(xmpp: Client, match: (stanza: Element) => boolean, timeoutMs = 5000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const onStanza = (stanza: Element): void => {
      if (!match(stanza)) return;
      cleanup();
      resolve(stanza);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no matching stanza within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      xmpp.off('stanza', onStanza);
    };
    xmpp.on('stanza', onStanza);
  });
}

/**
 * Joins a MUC room as `nick` (extra presence children allowed) and resolves with the room's
 * self-presence (status 110); rejects with the error presence's text if the join fails.
 */
export async function joinMuc(xmpp: Client, roomJid: string, nick: string, extra: Element[] = [], timeoutMs = 5000): Promise<Element> {
  const full = `${roomJid}/${nick}`;
  const selfPresence = waitForStanza(
    xmpp,
    (s) =>
      s.is('presence') &&
      s.attrs['from'] === full &&
      (s.attrs['type'] === 'error' ||
        s.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status').some((st) => st.attrs['code'] === '110') === true),
    timeoutMs,
  );
  await xmpp.send(xml('presence', { to: full }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' }), ...extra));
  const p = await selfPresence;
  if (p.attrs['type'] === 'error') throw new Error(`MUC join of ${full} failed: ${p.getChild('error')?.toString() ?? ''}`);
  return p;
}
