/**
 * The one way the gateway opens an XMPP connection (control session and every per-call session),
 * plus the small stanza helpers those sessions share.
 */
import { randomUUID } from 'node:crypto';
import { client, xml, type Client } from '@xmpp/client';
import { Element } from '@xmpp/xml';
import type { IncomingContext } from '@xmpp/middleware';
import type { Logger } from '../log.js';
import { fixStreamManagementCounter } from './stream-management-fix.js';
import { settleWithin } from '../util/deadline.js';

export type { Client, Element };
export { xml };

export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface XmppClientOptions {
  /** e.g. 'xmpp://127.0.0.1:5222' (plain TCP, STARTTLS if the server offers it) or 'xmpps://…' */
  service: string;
  /** the XMPP domain to log in to (auth domain for accounts, guest/main domain for anonymous) */
  domain: string;
  username?: string;
  password?: string;
  resource?: string;
  /** allow SASL PLAIN even without TLS (a deployment's internal network, tests) */
  allowPlain: boolean;
  logger: Logger;
}

export type SaslChoice = { mechanism: string } | { error: string };

/**
 * Picks the SASL mechanism. Without a choice @xmpp/client avoids PLAIN on a plain-TCP stream and
 * falls back to SCRAM, which costs seconds of hashing per login: fatal for a per-call session.
 */
export function chooseSaslMechanism(
  offered: readonly string[],
  opts: { hasCredentials: boolean; allowPlain: boolean; secure: boolean },
): SaslChoice {
  if (!opts.hasCredentials) {
    return offered.includes('ANONYMOUS')
      ? { mechanism: 'ANONYMOUS' }
      : { error: `server does not offer anonymous login (offers: ${offered.join(', ') || 'nothing'})` };
  }
  if (opts.allowPlain && offered.includes('PLAIN')) return { mechanism: 'PLAIN' };
  const strong = offered.find((m) => m !== 'PLAIN' && m !== 'ANONYMOUS');
  if (strong !== undefined) return { mechanism: strong };
  if (offered.includes('PLAIN') && opts.secure) return { mechanism: 'PLAIN' };
  return { error: `no usable SASL mechanism (offers: ${offered.join(', ') || 'nothing'}; allowPlain=${opts.allowPlain})` };
}

export function createXmppClient(opts: XmppClientOptions): Client {
  const { username, password, logger } = opts;
  const hasCredentials = username !== undefined && username !== '' && password !== undefined;
  const userAgent = xml('user-agent', { id: randomUUID() });

  const xmpp = client({
    service: opts.service,
    domain: opts.domain,
    ...(opts.resource !== undefined ? { resource: opts.resource } : {}),
    ...(hasCredentials ? { username } : {}),
    credentials: async (authenticate, mechanisms, _fast, entity) => {
      const choice = chooseSaslMechanism(mechanisms, {
        hasCredentials,
        allowPlain: opts.allowPlain,
        secure: entity.isSecure(),
      });
      if ('error' in choice) throw new Error(`SASL: ${choice.error}`);
      logger.debug({ mechanism: choice.mechanism, domain: opts.domain }, 'xmpp authenticating');
      await authenticate(hasCredentials ? { username, password } : {}, choice.mechanism, userAgent);
    },
  });

  verifyAgainstDomain(xmpp, opts.domain);
  fixStreamManagementCounter(xmpp);

  // Stream errors and socket errors are emitted as 'error'; an EventEmitter without a listener
  // would turn them into an uncaught exception.
  xmpp.on('error', (err: unknown) => {
    logger.warn({ err: describeError(err), domain: opts.domain }, 'xmpp connection error');
  });
  xmpp.on('status', (status: string) => {
    logger.debug({ status, domain: opts.domain }, 'xmpp status');
  });
  return xmpp;
}

/**
 * Direct TLS (xmpps://) is verified by Node as always (CA store, NODE_EXTRA_CA_CERTS for a
 * private CA; never switched off), but @xmpp/client checks the certificate against the host it
 * dials. RFC 6120 wants the XMPP domain, and Prosody picks its certificate by SNI per virtual
 * host, so the TLS session names the domain. STARTTLS on xmpp:// already uses the domain.
 */
function verifyAgainstDomain(xmpp: Client, domain: string): void {
  const entity = xmpp as unknown as { socketParameters: (service: string) => Record<string, unknown> | undefined };
  const original = entity.socketParameters.bind(entity);
  entity.socketParameters = (service) => {
    const params = original(service);
    return params !== undefined && service.startsWith('xmpps:') ? { ...params, servername: domain } : params;
  };
}

/** Stops a client for good: no automatic reconnect, socket closed even if the stream close hangs. */
export async function closeXmppClient(xmpp: Client, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  xmpp.reconnect.stop();
  if (xmpp.status === 'offline') return;
  // stop() waits for the server's stream close and then the socket's, 2 s each: a busy or gone
  // server must not hold a call's teardown that long.
  await settleWithin(
    xmpp.stop().catch(() => undefined),
    timeoutMs,
  );
  // Read again: stop() changed it (TypeScript kept the narrowing from the check above).
  const after: string = xmpp.status;
  if (after !== 'offline') {
    // The server may already be gone; make sure the socket is not left open.
    const socket = (xmpp as { socket?: { destroy?: () => void } | null }).socket;
    socket?.destroy?.();
  }
}

/** How long closeXmppClient() lets the stream close gracefully before dropping the socket. */
const STOP_TIMEOUT_MS = 600;

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

export type ErrorType = 'cancel' | 'modify' | 'auth' | 'wait' | 'continue';

/** `<error type><condition xmlns=stanzas/>[<text>]</error>` for an IQ/presence/message error. */
export function errorElement(condition: string, type: ErrorType, text?: string): Element {
  const children = [xml(condition, { xmlns: NS_STANZAS })];
  if (text !== undefined && text !== '') children.push(xml('text', { xmlns: NS_STANZAS }, text));
  return xml('error', { type }, ...children);
}

/** An IQ error reply to `iq` (swapping to/from, keeping the id). */
export function iqError(iq: Element, condition: string, type: ErrorType, text?: string): Element {
  return xml(
    'iq',
    { type: 'error', id: iq.attrs['id'] as string, ...addr(iq) },
    errorElement(condition, type, text),
  );
}

/** An IQ result reply to `iq`, with an optional payload. */
export function iqResult(iq: Element, payload?: Element): Element {
  const reply = xml('iq', { type: 'result', id: iq.attrs['id'] as string, ...addr(iq) });
  if (payload) reply.append(payload);
  return reply;
}

function addr(iq: Element): Record<string, string> {
  const out: Record<string, string> = {};
  const from: unknown = iq.attrs['from'];
  const to: unknown = iq.attrs['to'];
  if (typeof from === 'string') out['to'] = from;
  if (typeof to === 'string') out['from'] = to;
  return out;
}

/**
 * An error that carries its XMPP verdict: thrown by IQ handlers (becomes the IQ error reply) and
 * by sendIq (the peer's error reply).
 */
export class XmppStanzaError extends Error {
  override readonly name = 'XmppStanzaError';

  constructor(
    readonly condition: string,
    readonly type: ErrorType = 'cancel',
    readonly text?: string,
    /** the application-specific child of the peer's <error>, if any (e.g. Jitsi's lobbyroom) */
    readonly application?: Element,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }

  toElement(): Element {
    return errorElement(this.condition, this.type, this.text);
  }

  /** Reads an `<error>` element (of a received IQ, presence or message). */
  static fromErrorElement(error: Element): XmppStanzaError {
    const type = parseErrorType(error.attrs['type']);
    let condition = 'undefined-condition';
    let text: string | undefined;
    let application: Element | undefined;
    for (const child of error.getChildElements()) {
      if (child.attrs['xmlns'] === NS_STANZAS) {
        if (child.name === 'text') text = child.text();
        else condition = child.name;
      } else {
        application = child;
      }
    }
    return new XmppStanzaError(condition, type, text, application);
  }
}

function parseErrorType(t: unknown): ErrorType {
  return t === 'modify' || t === 'auth' || t === 'wait' || t === 'continue' ? t : 'cancel';
}

export class IqTimeoutError extends Error {
  override readonly name = 'IqTimeoutError';
  readonly condition = 'remote-server-timeout';
}

/**
 * Sends an IQ and resolves with the whole result stanza. An error reply rejects with
 * XmppStanzaError; no reply within timeoutMs rejects with IqTimeoutError.
 */
export async function sendIq(xmpp: Client, iq: Element, timeoutMs = 10_000): Promise<Element> {
  try {
    return await xmpp.iqCaller.request(iq, timeoutMs);
  } catch (err) {
    const element = (err as { element?: unknown } | null)?.element;
    if (element instanceof Element && element.is('error')) {
      throw XmppStanzaError.fromErrorElement(element);
    }
    if (err instanceof Error && err.name === 'TimeoutError') {
      throw new IqTimeoutError(`no reply to iq ${String(iq.attrs['id'])} within ${timeoutMs} ms`);
    }
    throw err;
  }
}

export type IqSetHandler = (iq: Element) => Promise<Element | void>;

/**
 * Answers `<iq type="set">` whose single child is `<childName xmlns>`. The handler's element
 * becomes the result payload (nothing = empty result); a thrown XmppStanzaError becomes that IQ
 * error, anything else internal-server-error. The library answers service-unavailable when a
 * handler returns nothing, hence the explicit `true`.
 */
export function handleIqSet(
  xmpp: Client,
  childName: string,
  xmlns: string,
  handler: IqSetHandler,
  logger: Logger,
): void {
  xmpp.iqCallee.set(xmlns, childName, async (ctx: IncomingContext<Client>) => {
    try {
      const payload = await handler(ctx.stanza);
      return payload ?? true;
    } catch (err) {
      if (err instanceof XmppStanzaError) return err.toElement();
      logger.error({ err: describeError(err), childName, xmlns }, 'iq handler failed');
      return errorElement('internal-server-error', 'cancel');
    }
  });
}
