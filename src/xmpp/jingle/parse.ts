import type { Element } from '@xmpp/xml';
import { JingleParseError } from './errors.js';
import { NS } from './namespaces.js';
import { attr, optionalBool, requireAttr } from './parse-attrs.js';
import { parseContent } from './parse-content.js';
import {
  KNOWN_ACTIONS,
  type BridgeSession,
  type ContentGroup,
  type JingleAction,
  type JingleActionName,
  type JingleReason,
  type StartMuted,
} from './types.js';

/**
 * Reads the `<jingle>` payload of an IQ (or a bare `<jingle>` element). Throws JingleParseError
 * (XMPP bad-request) for what would make the session misbehave: a missing sid or action, numbers
 * that aren't numbers. Unknown children are skipped.
 */
export function parseJingleIq(iq: Element): JingleAction {
  const jingle = iq.is('jingle', NS.jingle) ? iq : iq.getChild('jingle', NS.jingle);
  if (!jingle) throw new JingleParseError(`<${iq.name}> has no <jingle xmlns="${NS.jingle}"> child`);
  return parseJingle(jingle);
}

export function parseJingle(jingle: Element): JingleAction {
  const actionName = requireAttr(jingle, 'action', '<jingle>');
  const sid = requireAttr(jingle, 'sid', '<jingle>');

  const base = {
    sid,
    contents: jingle.getChildren('content', NS.jingle).map(parseContent),
    groups: jingle.getChildren('group', NS.grouping).map(parseGroup),
  };
  const action = isKnown(actionName)
    ? ({ action: actionName, ...base } as JingleAction)
    : ({ action: 'other', name: actionName, ...base } as JingleAction);

  const initiator = attr(jingle, 'initiator');
  if (initiator !== undefined) action.initiator = initiator;
  const responder = attr(jingle, 'responder');
  if (responder !== undefined) action.responder = responder;

  const reason = jingle.getChild('reason', NS.jingle);
  if (reason) action.reason = parseReason(reason);

  const bridgeSession = jingle.getChild('bridge-session', NS.focus);
  if (bridgeSession) {
    const bs = parseBridgeSession(bridgeSession);
    if (bs) action.bridgeSession = bs;
  }
  const startMuted = jingle.getChild('startmuted', NS.startMuted);
  if (startMuted) action.startMuted = parseStartMuted(startMuted);
  return action;
}

function isKnown(name: string): name is JingleActionName {
  return (KNOWN_ACTIONS as readonly string[]).includes(name);
}

function parseGroup(el: Element): ContentGroup {
  // XEP-0338 renamed `type` to `semantics`; old senders still use `type`.
  const semantics = attr(el, 'semantics') ?? attr(el, 'type');
  if (semantics === undefined || semantics === '') throw new JingleParseError('<group>: missing semantics');
  return {
    semantics,
    contents: el.getChildren('content').map((c) => requireAttr(c, 'name', '<group> <content>')),
  };
}

function parseReason(el: Element): JingleReason {
  let condition: string | undefined;
  let text: string | undefined;
  for (const child of el.getChildElements()) {
    if (child.name === 'text') text = child.getText();
    else if (condition === undefined) condition = child.name;
  }
  // A reason element without a condition is malformed but still ends the session; say so generically.
  const reason: JingleReason = { condition: condition ?? 'general-error' };
  if (text !== undefined && text !== '') reason.text = text;
  return reason;
}

function parseBridgeSession(el: Element): BridgeSession | undefined {
  const id = attr(el, 'id');
  if (id === undefined) return undefined;
  const bs: BridgeSession = { id };
  const region = attr(el, 'region');
  if (region !== undefined) bs.region = region;
  const restart = optionalBool(el, 'restart');
  if (restart !== undefined) bs.restart = restart;
  return bs;
}

function parseStartMuted(el: Element): StartMuted {
  return { audio: optionalBool(el, 'audio') ?? false, video: optionalBool(el, 'video') ?? false };
}
