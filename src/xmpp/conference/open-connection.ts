import type { Logger } from '../../log.js';
import { closeXmppClient, createXmppClient, type Client } from '../connection.js';
import { ConferenceConnectError, SessionClosedError } from './errors.js';
import type { ConferenceLogin } from './types.js';
import { waitFor } from './wait.js';

export interface OpenConnectionOptions {
  service: string;
  login: ConferenceLogin;
  allowPlain: boolean;
  resource: string;
  timeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** Wires handlers before the stream opens, so no stanza arrives unhandled. */
  prepare(client: Client): void;
}

/**
 * Opens a per-call connection. It never reconnects by itself: a new stream would be a new
 * participant without the room or the Jingle session, so a lost connection is for the call to
 * handle. Throws ConferenceConnectError (login refused, server down, timeout), or
 * SessionClosedError when `signal` aborts first.
 */
export async function openConferenceConnection(o: OpenConnectionOptions): Promise<Client> {
  const { login } = o;
  const client = createXmppClient({
    service: o.service,
    domain: login.domain,
    ...(login.mode === 'password' ? { username: login.username, password: login.password } : {}),
    resource: o.resource,
    allowPlain: o.allowPlain,
    logger: o.logger,
  });
  client.reconnect.stop();
  o.prepare(client);
  const online = await waitFor<Error | null>(
    (settle) => {
      client.start().then(
        () => settle(null),
        (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))),
      );
      return () => {};
    },
    o.timeoutMs,
    o.signal,
  );
  if (online.kind === 'value' && online.value === null) return client;
  await closeXmppClient(client).catch(() => undefined);
  if (online.kind === 'aborted') throw new SessionClosedError('connect');
  const cause = online.kind === 'value' ? online.value : null;
  throw new ConferenceConnectError(
    `xmpp login to ${login.domain} failed: ${cause ? cause.message : `no session within ${o.timeoutMs} ms`}`,
    cause ? { cause } : undefined,
  );
}
