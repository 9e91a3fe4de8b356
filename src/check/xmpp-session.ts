import type { Logger } from '../log.js';
import { closeXmppClient, createXmppClient, type Client } from '../xmpp/connection.js';

export interface XmppLoginOptions {
  service: string;
  domain: string;
  /** Absent: an anonymous login, as per-call sessions make. */
  account?: { username: string; password: string };
  allowPlain: boolean;
  logger: Logger;
}

/**
 * One XMPP login made the way the gateway makes it (createXmppClient), shared by the checks that
 * need a session (the brewery, the focus): the first caller starts it, later ones get the same
 * client. close() ends it, whatever state it reached.
 */
export class XmppLogin {
  readonly #o: XmppLoginOptions;
  #client: Client | undefined;
  #online: Promise<Client> | undefined;

  constructor(options: XmppLoginOptions) {
    this.#o = options;
  }

  start(signal: AbortSignal): Promise<Client> {
    this.#online ??= this.#start(signal);
    return this.#online;
  }

  async #start(signal: AbortSignal): Promise<Client> {
    const o = this.#o;
    const xmpp = createXmppClient({
      service: o.service,
      domain: o.domain,
      ...(o.account !== undefined ? { username: o.account.username, password: o.account.password } : {}),
      allowPlain: o.allowPlain,
      logger: o.logger,
    });
    // One attempt: the check reports what went wrong instead of retrying.
    xmpp.reconnect.stop();
    this.#client = xmpp;
    const onAbort = (): void => void this.close();
    signal.addEventListener('abort', onAbort);
    try {
      await xmpp.start();
      return xmpp;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    const xmpp = this.#client;
    this.#client = undefined;
    if (xmpp !== undefined) await closeXmppClient(xmpp).catch(() => undefined);
  }
}

/** The SASL condition of a failed login (e.g. not-authorized), when the server gave one. */
export function saslCondition(err: unknown): string | undefined {
  if ((err as { name?: unknown } | null)?.name !== 'SASLError') return undefined;
  const condition = (err as { condition?: unknown }).condition;
  return typeof condition === 'string' ? condition : undefined;
}
