/**
 * What REFER-based transfer puts on the wire (RFC 3515, RFC 3892, RFC 3891, RFC 5589): the
 * Refer-To target with the headers its URI may embed, message/sipfrag bodies and the Event /
 * Subscription-State of the implicit subscription.
 */
import { parseNameAddr, quoteText } from './sip-headers.js';

export interface ReferTarget {
  /** The URI to INVITE, without angle brackets and without its ?headers part. */
  uri: string;
  displayName: string | undefined;
  user: string | undefined;
  /** RFC 3891 Replaces embedded in the Refer-To URI (attended transfer), decoded; goes on the INVITE. */
  replaces: string | undefined;
}

/** Parses a Refer-To value; undefined when it is not one sip:/sips:/tel: target. */
export function parseReferTo(value: string | undefined): ReferTarget | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const addr = parseNameAddr(value);
  const q = addr.uri.indexOf('?');
  const uri = q < 0 ? addr.uri : addr.uri.slice(0, q);
  if (!/^(sips?:[^\s@]+@[^\s]+|tel:[^\s]+)$/i.test(uri) || /[<>"\r\n]/.test(uri)) return undefined;
  let replaces: string | undefined;
  if (q >= 0) {
    for (const pair of addr.uri.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || pair.slice(0, eq).toLowerCase() !== 'replaces') continue;
      try {
        replaces = decodeURIComponent(pair.slice(eq + 1));
      } catch {
        return undefined;
      }
      if (/[\r\n]/.test(replaces)) return undefined;
    }
  }
  return { uri, displayName: addr.displayName, user: addr.user, replaces };
}

/** The Refer-To header for a target URI we were given (operator transfer). */
export function referToHeader(uri: string): string {
  return `<${uri}>`;
}

/** A message/sipfrag body carrying just a status line. */
export function sipfragBody(status: number, reason: string): string {
  return `SIP/2.0 ${status} ${reason.replace(/[\r\n]+/g, ' ')}\r\n`;
}

export const SIPFRAG_TYPE = 'message/sipfrag;version=2.0';

/** The status line of a message/sipfrag body; undefined when it does not start with one. */
export function parseSipfrag(body: string | undefined): { status: number; reason: string } | undefined {
  const m = /^\s*SIP\/2\.0\s+(\d{3})\s*([^\r\n]*)/.exec(body ?? '');
  if (m?.[1] === undefined) return undefined;
  return { status: Number(m[1]), reason: (m[2] ?? '').trim() };
}

/** RFC 3515 §2.4.6: `refer;id=<CSeq of the REFER>` names the subscription a NOTIFY belongs to. */
export function referEvent(referCseq: number): string {
  return `refer;id=${referCseq}`;
}

/** Whether an Event header value is a refer event (any id). */
export function isReferEvent(value: string | undefined): boolean {
  return /^\s*refer\s*(;|$)/i.test(value ?? '');
}

/** The id parameter of an Event header, if any. */
export function eventId(value: string | undefined): number | undefined {
  const m = /;\s*id\s*=\s*(\d+)/i.exec(value ?? '');
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** How long the implicit subscription lives while the attempt is under way, seconds. */
export const REFER_SUBSCRIPTION_SECONDS = 60;

export function subscriptionState(final: boolean): string {
  return final ? 'terminated;reason=noresource' : `active;expires=${REFER_SUBSCRIPTION_SECONDS}`;
}

/** Referred-By for the INVITE we send on someone's behalf (RFC 3892), bounded. */
export function referredByValue(value: string | undefined): string | undefined {
  if (value === undefined || /[\r\n]/.test(value) || value.length > 300) return undefined;
  const addr = parseNameAddr(value);
  if (!/^(sips?|tel):/i.test(addr.uri)) return undefined;
  return addr.displayName === undefined ? `<${addr.uri}>` : `${quoteText(addr.displayName, 100)} <${addr.uri}>`;
}
