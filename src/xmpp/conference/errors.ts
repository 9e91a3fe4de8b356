import xml, { Element } from '@xmpp/xml';
import { errorElement, type ErrorType } from '../connection.js';
import { NS } from './namespaces.js';
import type { JoinOutcome } from './types.js';

/** The per-call XMPP connection could not be opened (server down, login refused, timeout). */
export class ConferenceConnectError extends Error {
  override readonly name = 'ConferenceConnectError';
  readonly metricLabel = 'xmpp_connect_failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A room join that followed a lobby admission or a password did not end in the room. */
export class JoinFailedError extends Error {
  override readonly name = 'JoinFailedError';
  readonly metricLabel = 'muc_join_failed';
  constructor(readonly outcome: Exclude<JoinOutcome, { kind: 'joined' }>) {
    super(`conference join failed: ${outcome.kind}`);
  }
}

/** The session was closed while the operation was under way. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  constructor(what: string) {
    super(`conference session closed during ${what}`);
  }
}

/** RFC 6120 §8.3.3: the error type that goes with each defined condition. */
const DEFAULT_TYPE: Record<string, ErrorType> = {
  'bad-request': 'modify',
  conflict: 'cancel',
  'feature-not-implemented': 'cancel',
  forbidden: 'auth',
  gone: 'cancel',
  'internal-server-error': 'cancel',
  'item-not-found': 'cancel',
  'jid-malformed': 'modify',
  'not-acceptable': 'modify',
  'not-allowed': 'cancel',
  'not-authorized': 'auth',
  'policy-violation': 'modify',
  'recipient-unavailable': 'wait',
  redirect: 'modify',
  'registration-required': 'auth',
  'remote-server-not-found': 'cancel',
  'remote-server-timeout': 'wait',
  'resource-constraint': 'wait',
  'service-unavailable': 'cancel',
  'subscription-required': 'auth',
  'undefined-condition': 'cancel',
  'unexpected-request': 'wait',
};

const ERROR_TYPES: readonly string[] = ['cancel', 'modify', 'auth', 'wait', 'continue'];

function isErrorType(t: unknown): t is ErrorType {
  return typeof t === 'string' && ERROR_TYPES.includes(t);
}

/**
 * The `<error>` answering an IQ whose handler threw `err`. Errors carry their own verdict: an
 * `iqErrorElement()` method (the Jingle errors), or a `condition` / `xmppCondition` with an optional
 * `jingleCondition` (e.g. unknown-session) and `type`. Anything else is our bug: internal-server-error.
 */
export function errorReplyFor(err: unknown): Element {
  if (typeof err !== 'object' || err === null) return errorElement('internal-server-error', 'cancel');
  const e = err as {
    iqErrorElement?: unknown;
    toElement?: unknown;
    condition?: unknown;
    xmppCondition?: unknown;
    jingleCondition?: unknown;
    type?: unknown;
  };
  if (typeof e.iqErrorElement === 'function') {
    const el: unknown = (e.iqErrorElement as () => unknown).call(err);
    if (el instanceof Element) return el;
  }
  const condition = typeof e.condition === 'string' ? e.condition : e.xmppCondition;
  if (typeof condition !== 'string' || condition === '') return errorElement('internal-server-error', 'cancel');
  const type = isErrorType(e.type) ? e.type : (DEFAULT_TYPE[condition] ?? 'cancel');
  const el = errorElement(condition, type);
  if (typeof e.jingleCondition === 'string' && e.jingleCondition !== '') {
    el.append(xml(e.jingleCondition, { xmlns: NS.jingleErrors }));
  }
  return el;
}

/** True when `err` says how to answer (so it is a refusal, not a crash worth an error log). */
export function carriesCondition(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { iqErrorElement?: unknown; condition?: unknown; xmppCondition?: unknown };
  return typeof e.iqErrorElement === 'function' || typeof e.condition === 'string' || typeof e.xmppCondition === 'string';
}
