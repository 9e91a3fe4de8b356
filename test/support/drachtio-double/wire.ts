import { randomUUID } from 'node:crypto';

/**
 * The text of drachtio protocol messages (inside the framing). Every message starts with a
 * leader line `<msgId>|<type>|<token>|…`; `sip`, `proxy` and some `response` messages carry a SIP
 * message after the first CRLF.
 */

const CRLF = '\r\n';

export interface AppMessage {
  msgId: string;
  type: string;
  /** Leader tokens after msgId and type. */
  args: string[];
  /** Text after the leader line ('' when there is none). */
  payload: string;
}

export function parseAppMessage(text: string): AppMessage {
  const eol = text.indexOf(CRLF);
  const leader = eol === -1 ? text : text.slice(0, eol);
  const [msgId = '', type = '', ...args] = leader.split('|');
  return { msgId, type, args, payload: eol === -1 ? '' : text.slice(eol + 2) };
}

/** Where a SIP message came from / went to, as drachtio-server describes it. */
export interface SipMeta {
  source: 'network' | 'application';
  protocol: string;
  address: string;
  port: number;
}

/** drachtio's wall-clock stamp: `HH:MM:SS.uuuuuu` (UTC, microseconds). */
export function stackTime(now = new Date()): string {
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`;
}

/** `source|bytes|protocol|address|port|time`, the meta block that precedes ids in drachtio messages. */
export function formatMeta(meta: SipMeta, sipText: string): string {
  return [meta.source, Buffer.byteLength(sipText, 'utf8'), meta.protocol, meta.address, meta.port, stackTime()].join('|');
}

export function newId(): string {
  return randomUUID();
}

/** A SIP message pushed to the app: an incoming request, or a response to a request it sent. */
export function sipMessageToApp(
  meta: SipMeta,
  sipText: string,
  transactionId: string,
  dialogId: string,
  receivedOn?: { address: string; port: number },
): string {
  const tail = receivedOn ? `|${receivedOn.address}|${receivedOn.port}|` : '|';
  return `${newId()}|sip|${formatMeta(meta, sipText)}|${transactionId}|${dialogId}${tail}${CRLF}${sipText}`;
}

/**
 * The answer to an app request: `<id>|response|<their msgId>|OK|…`. drachtio-server says `NO`
 * when it refuses a protocol message (bad secret) and `NOK` when a SIP operation fails.
 */
export function apiResponse(msgId: string, verdict: 'OK' | 'NO' | 'NOK', detail?: string): string {
  return `${newId()}|response|${msgId}|${verdict}${detail === undefined ? '' : `|${detail}`}`;
}

/** OK for a SIP request the app asked the stack to send: meta, transaction id, then the sent text. */
export function requestSentResponse(msgId: string, meta: SipMeta, sipText: string, transactionId: string): string {
  return apiResponse(msgId, 'OK', `${formatMeta(meta, sipText)}|${transactionId}|Msg sent:|${CRLF}${sipText}`);
}

/** OK for a SIP response the app asked the stack to send; carries the dialog id it belongs to. */
export function responseSentResponse(
  msgId: string,
  meta: SipMeta,
  sipText: string,
  transactionId: string,
  dialogId: string,
): string {
  return apiResponse(msgId, 'OK', `${formatMeta(meta, sipText)}|${transactionId}|${dialogId}||Msg sent:|${CRLF}${sipText}`);
}
