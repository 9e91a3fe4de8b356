import xml from '@xmpp/xml';
import type { Element } from '@xmpp/xml';
import type { Client } from '../connection.js';
import { errorElement } from '../connection.js';
import type { Logger } from '../../log.js';
import { carriesCondition, errorReplyFor } from './errors.js';
import { sameJid } from './jid.js';
import { NS } from './namespaces.js';

export interface IqRoutes {
  /** room@muc/focus: the only sender of Jingle. */
  focusOccupantJid(): string;
  /** Jicofo's own JID (focus.<domain>); moderator mute may also come from there. */
  focusJid: string;
  /** Resolves when the Jingle IQ is accepted; a rejection says how to refuse it (errorReplyFor). */
  onJingle(iq: Element): Promise<void>;
  onMute(muted: boolean, actor: string | undefined): void;
  /** Rayo hangup sent to our occupant JID (the dial-out `ref`); true when accepted. */
  onHangup(from: string | undefined): boolean;
  discoFeatures(): readonly string[];
  logger: Logger;
}

/**
 * Answers the IQs the meeting sends a participant: Jingle and moderator mute, accepted only from
 * the focus (anyone in the room could otherwise drive our media), and disco#info, from which
 * Jicofo decides what to offer. Handlers return `true` for an empty result: the library answers
 * service-unavailable to a handler that returns nothing.
 */
export function installIqRoutes(client: Client, routes: IqRoutes): void {
  const log = routes.logger;
  // The library's typings resolve iqCallee to `any`; this is the part of it we rely on.
  const callee = client.iqCallee as IqCallee;

  callee.set(NS.jingle, 'jingle', async (ctx) => {
    const from = stringAttr(ctx.stanza, 'from');
    if (!sameJid(from, routes.focusOccupantJid())) {
      log.warn({ from, action: ctx.element?.attrs['action'] }, 'jingle from someone other than the focus refused');
      return errorElement('forbidden', 'auth');
    }
    try {
      await routes.onJingle(ctx.stanza);
      return true;
    } catch (err) {
      if (carriesCondition(err)) log.info({ err, action: ctx.element?.attrs['action'] }, 'jingle iq refused');
      else log.error({ err, action: ctx.element?.attrs['action'] }, 'jingle handler failed');
      return errorReplyFor(err);
    }
  });

  callee.set(NS.audioMute, 'mute', (ctx) => {
    const from = stringAttr(ctx.stanza, 'from');
    if (!sameJid(from, routes.focusOccupantJid()) && !sameJid(from, routes.focusJid)) {
      log.warn({ from }, 'mute request from someone other than the focus refused');
      return errorElement('forbidden', 'auth');
    }
    const el = ctx.element;
    const text = el?.text().trim().toLowerCase();
    if (text !== 'true' && text !== 'false') return errorElement('bad-request', 'modify');
    routes.onMute(text === 'true', el ? stringAttr(el, 'actor') : undefined);
    return true;
  });

  callee.set(NS.rayo, 'hangup', (ctx) => {
    const from = stringAttr(ctx.stanza, 'from');
    if (!routes.onHangup(from)) {
      log.warn({ from }, 'hangup from outside the meeting refused');
      return errorElement('forbidden', 'auth');
    }
    return true;
  });

  callee.get(NS.discoInfo, 'query', (ctx) => {
    const node = ctx.element ? stringAttr(ctx.element, 'node') : undefined;
    return xml(
      'query',
      { xmlns: NS.discoInfo, ...(node !== undefined ? { node } : {}) },
      xml('identity', { category: 'client', type: 'pc', name: 'jitsi-sip-gateway' }),
      ...routes.discoFeatures().map((v) => xml('feature', { var: v })),
    );
  });
}

/** What @xmpp/iq's callee hands a route: the whole IQ and its single child. */
interface IqContext {
  stanza: Element;
  element: Element | undefined;
}

type IqRouteHandler = (ctx: IqContext) => Element | true | Promise<Element | true>;

interface IqCallee {
  get(xmlns: string, name: string, handler: IqRouteHandler): void;
  set(xmlns: string, name: string, handler: IqRouteHandler): void;
}

function stringAttr(el: Element, name: string): string | undefined {
  const v: unknown = el.attrs[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
