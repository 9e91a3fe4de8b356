import xml, { type Element } from '@xmpp/xml';
import { NS } from './namespaces.js';

/** RFC 6120 stanza error conditions this module produces. */
export type XmppErrorCondition =
  | 'bad-request'
  | 'item-not-found'
  | 'unexpected-request'
  | 'feature-not-implemented'
  | 'not-acceptable';

/** XEP-0166 §10 error conditions (namespace urn:xmpp:jingle:errors:1). */
export type JingleErrorCondition = 'unknown-session' | 'out-of-order' | 'unsupported-info' | 'tie-break';

type XmppErrorType = 'cancel' | 'modify' | 'wait';

const ERROR_TYPE: Record<XmppErrorCondition, XmppErrorType> = {
  'bad-request': 'modify',
  'item-not-found': 'cancel',
  'unexpected-request': 'wait',
  'feature-not-implemented': 'cancel',
  'not-acceptable': 'cancel',
};

/**
 * An error that knows how the Jingle IQ that caused it must be answered, so the conference session
 * can reply with `iqErrorElement()` without knowing why it failed.
 */
export class JingleError extends Error {
  readonly xmppCondition: XmppErrorCondition;
  readonly jingleCondition: JingleErrorCondition | undefined;
  readonly metricLabel: string;

  constructor(
    message: string,
    xmppCondition: XmppErrorCondition,
    jingleCondition?: JingleErrorCondition,
    metricLabel?: string,
  ) {
    super(message);
    this.name = 'JingleError';
    this.xmppCondition = xmppCondition;
    this.jingleCondition = jingleCondition;
    this.metricLabel = metricLabel ?? jingleCondition ?? xmppCondition;
  }

  /** The `<error>` child of the IQ error answer. */
  iqErrorElement(): Element {
    const children: Element[] = [
      xml(this.xmppCondition, { xmlns: NS.stanzas }),
      xml('text', { xmlns: NS.stanzas }, this.message),
    ];
    if (this.jingleCondition !== undefined) children.push(xml(this.jingleCondition, { xmlns: NS.jingleErrors }));
    return xml('error', { type: ERROR_TYPE[this.xmppCondition] }, ...children);
  }
}

/** A malformed Jingle stanza: answered with bad-request. */
export class JingleParseError extends JingleError {
  constructor(message: string) {
    super(message, 'bad-request');
    this.name = 'JingleParseError';
  }
}

/** A well-formed action that the session can't take in its current state. */
export class JingleSessionError extends JingleError {
  constructor(message: string, xmppCondition: XmppErrorCondition, jingleCondition?: JingleErrorCondition) {
    super(message, xmppCondition, jingleCondition);
    this.name = 'JingleSessionError';
  }

  static unknownSession(message: string): JingleSessionError {
    return new JingleSessionError(message, 'item-not-found', 'unknown-session');
  }

  static outOfOrder(message: string): JingleSessionError {
    return new JingleSessionError(message, 'unexpected-request', 'out-of-order');
  }
}

/** The Jingle `<reason>` conditions used when a session is terminated because of an offer. */
export type NegotiationReason = 'incompatible-parameters' | 'failed-application';

/**
 * The offer has nothing the gateway can use. XEP-0166 has the responder acknowledge the IQ and
 * then terminate with `jingleReason`; `xmppCondition` is there for callers that prefer an IQ error.
 */
export class NegotiationError extends JingleError {
  readonly jingleReason: NegotiationReason;

  constructor(message: string, jingleReason: NegotiationReason = 'incompatible-parameters') {
    super(message, 'not-acceptable', undefined, jingleReason);
    this.name = 'NegotiationError';
    this.jingleReason = jingleReason;
  }
}
