/** Small readers and writers for the SIP header values the app builds or inspects. */

export interface NameAddr {
  /** Unquoted display name, when one was given. */
  displayName: string | undefined;
  /** The URI without angle brackets or header parameters. */
  uri: string;
  /** User part of a sip:/sips:/tel: URI (percent-decoded), when there is one. */
  user: string | undefined;
}

/** Reads `"Alice" <sip:+1555@host>;tag=x`, `Alice <sip:…>` or a bare `sip:…;tag=x`. */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  let displayName: string | undefined;
  let uri: string;
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    uri = v.slice(lt + 1, gt < 0 ? undefined : gt).trim();
    const name = v.slice(0, lt).trim();
    if (name.startsWith('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(name);
      displayName = m?.[1]?.replace(/\\(.)/g, '$1');
    } else if (name !== '') {
      displayName = name;
    }
  } else {
    uri = v.split(';')[0]?.trim() ?? v;
  }
  if (displayName !== undefined && displayName.trim() === '') displayName = undefined;
  return { displayName, uri, user: userOf(uri) };
}

/** User part of a sip:, sips: or tel: URI (without user parameters), percent-decoded. */
export function userOf(uri: string): string | undefined {
  const tel = /^tel:([^;]+)/i.exec(uri);
  const m = tel ?? /^sips?:([^@;]+)@/i.exec(uri);
  const raw = m?.[1];
  if (raw === undefined || raw === '') return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** The media type of a Content-Type value, lower case and without parameters ('' when absent). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Text safe inside a quoted-string: no CR/LF, quotes and backslashes escaped, bounded length. */
export function quoteText(text: string, max = 200): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ').slice(0, max);
  return `"${flat.replace(/(["\\])/g, '\\$1')}"`;
}

/** RFC 3261 Warning value with the miscellaneous code 399: `399 <agent> "<text>"`. */
export function warningHeader(agent: string, text: string): string {
  return `399 ${agent} ${quoteText(text)}`;
}

/** RFC 3326 Reason for a BYE/CANCEL (Q.850 cause 16, normal clearing, unless given). */
export function q850Reason(text: string, cause = 16): string {
  return `Q.850;cause=${cause};text=${quoteText(text)}`;
}

/** RFC 3326 Reason naming a SIP status, put on our failure responses to say why. */
export function sipReason(status: number, text: string): string {
  return `SIP;cause=${status};text=${quoteText(text)}`;
}

/** The text of a Reason header (`…;text="…"`), or its protocol and cause when it has no text. */
export function reasonText(value: string | undefined): string | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const text = /;\s*text\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(value)?.[1];
  if (text !== undefined && text !== '') return text.replace(/\\(.)/g, '$1');
  return value.trim();
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** Headers the app must never let a caller of placeCall() or the dial IQ override. */
const RESERVED = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'content-length',
  'content-type',
  'max-forwards',
  'route',
  'record-route',
  'authorization',
  'proxy-authorization',
]);

/** True when `name: value` is a header we may pass on: a token name, not stack-owned, no CR/LF. */
export function isPassableHeader(name: string, value: string): boolean {
  return TOKEN.test(name) && !RESERVED.has(name.toLowerCase()) && !/[\r\n\0]/.test(value);
}

/**
 * Splits a header's comma-separated entries (Contact, P-Asserted-Identity, …). Commas inside
 * quotes or angle brackets belong to the entry; srf joins repeated headers with commas too.
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && c === '<') depth++;
    else if (!quoted && c === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}
