import type { Element } from '@xmpp/xml';
import { bareJid, jidResource } from './jid.js';
import { NS } from './namespaces.js';

/** What the gateway needs from one presence sent by a MUC room. */
export interface MucPresence {
  from: string;
  roomJid: string;
  nick: string;
  /** 'available', 'unavailable' or 'error' */
  type: string;
  statusCodes: Set<string>;
  role: string;
  affiliation: string;
  realJid: string | undefined;
  actor: string | undefined;
  reason: string | undefined;
  /** Present when the room was destroyed (in the unavailable self-presence). */
  destroy: { reason: string | undefined; alternateRoom: string | undefined } | undefined;
  displayName: string | undefined;
}

export function parseMucPresence(stanza: Element): MucPresence | undefined {
  const from = stanza.attrs['from'];
  if (typeof from !== 'string' || from === '') return undefined;
  const type = typeof stanza.attrs['type'] === 'string' ? (stanza.attrs['type'] as string) : 'available';
  const x = stanza.getChild('x', NS.mucUser);
  const item = x?.getChild('item');
  const statusCodes = new Set<string>();
  for (const status of x?.getChildren('status') ?? []) {
    const code = status.attrs['code'];
    if (typeof code === 'string') statusCodes.add(code);
  }
  const destroyEl = x?.getChild('destroy');
  const actor = item?.getChild('actor');
  return {
    from,
    roomJid: bareJid(from),
    nick: jidResource(from),
    type,
    statusCodes,
    role: attr(item, 'role') ?? 'none',
    affiliation: attr(item, 'affiliation') ?? 'none',
    realJid: attr(item, 'jid'),
    actor: attr(actor, 'jid') ?? attr(actor, 'nick'),
    reason: textOf(item?.getChild('reason')),
    destroy: destroyEl
      ? { reason: textOf(destroyEl.getChild('reason')), alternateRoom: attr(destroyEl, 'jid') }
      : undefined,
    displayName: textOf(stanza.getChild('nick', NS.nick)),
  };
}

function attr(el: Element | undefined, name: string): string | undefined {
  const v: unknown = el?.attrs[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function textOf(el: Element | undefined): string | undefined {
  if (!el) return undefined;
  const t = el.text();
  return t === '' ? undefined : t;
}
