import { randomBytes } from 'node:crypto';

/**
 * SIP text for tests: a small parser/serializer and builders for the requests a phone (or a
 * trunk) sends, so tests can play the SIP network. Everything is CRLF-terminated and
 * Content-Length is always computed from the body's bytes.
 */

const CRLF = '\r\n';

/** RFC 3261 compact header forms, mapped to their full lowercase names. */
const COMPACT: Record<string, string> = {
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  t: 'to',
  v: 'via',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
};

/** A header's full lowercase name (compact forms expanded): the key for comparisons. */
export function canonical(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

export type HeaderInput = Record<string, string> | ReadonlyArray<readonly [string, string]>;

export interface SipMessageInit {
  method?: string;
  uri?: string;
  status?: number;
  reason?: string;
  headers?: HeaderInput;
  body?: string;
}

/** A parsed SIP request or response; header lookups are case-insensitive and know compact forms. */
export class SipMessage {
  method: string | undefined;
  uri: string | undefined;
  status: number | undefined;
  reason: string | undefined;
  headers: Array<[string, string]>;
  body: string;

  constructor(init: SipMessageInit) {
    this.method = init.method;
    this.uri = init.uri;
    this.status = init.status;
    this.reason = init.reason;
    this.headers = headerPairs(init.headers);
    this.body = init.body ?? '';
    if (this.method === undefined && this.status === undefined) {
      throw new Error('a SIP message needs a method or a status');
    }
  }

  get isRequest(): boolean {
    return this.method !== undefined;
  }

  get(name: string): string | undefined {
    const want = canonical(name);
    return this.headers.find(([n]) => canonical(n) === want)?.[1];
  }

  /** Every value of a header, with comma-joined values left as they are. */
  getAll(name: string): string[] {
    const want = canonical(name);
    return this.headers.filter(([n]) => canonical(n) === want).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every occurrence of `name` with one header (kept at the first one's position). */
  set(name: string, value: string): this {
    const want = canonical(name);
    const at = this.headers.findIndex(([n]) => canonical(n) === want);
    this.remove(name);
    if (at === -1) this.headers.push([name, value]);
    else this.headers.splice(at, 0, [name, value]);
    return this;
  }

  add(name: string, value: string): this {
    this.headers.push([name, value]);
    return this;
  }

  remove(name: string): this {
    const want = canonical(name);
    this.headers = this.headers.filter(([n]) => canonical(n) !== want);
    return this;
  }

  /** A header that must be present; throws with the Call-ID for context otherwise. */
  require(name: string): string {
    const v = this.get(name);
    if (v === undefined) throw new Error(`SIP message (Call-ID ${this.get('call-id') ?? '?'}) lacks ${name}`);
    return v;
  }

  get callId(): string {
    return this.require('call-id');
  }

  get cseq(): { seq: number; method: string } {
    const m = /^\s*(\d+)\s+(\S+)/.exec(this.require('cseq'));
    if (!m?.[1] || !m[2]) throw new Error(`malformed CSeq: ${this.get('cseq')}`);
    return { seq: Number(m[1]), method: m[2].toUpperCase() };
  }

  get fromTag(): string | undefined {
    return tagOf(this.require('from'));
  }

  get toTag(): string | undefined {
    return tagOf(this.require('to'));
  }

  clone(): SipMessage {
    return new SipMessage({ ...this, headers: this.headers.map(([n, v]) => [n, v] as const) });
  }

  toString(): string {
    const start =
      this.method !== undefined
        ? `${this.method} ${this.uri ?? ''} SIP/2.0`
        : `SIP/2.0 ${this.status ?? 0} ${this.reason ?? ''}`;
    const lines = [start];
    for (const [n, v] of this.headers) {
      if (canonical(n) !== 'content-length') lines.push(`${n}: ${v}`);
    }
    lines.push(`Content-Length: ${Buffer.byteLength(this.body, 'utf8')}`);
    return lines.join(CRLF) + CRLF + CRLF + this.body;
  }
}

export function headerPairs(input: HeaderInput | undefined): Array<[string, string]> {
  if (!input) return [];
  if (Array.isArray(input)) return input.map(([n, v]) => [n, v] as [string, string]);
  return Object.entries(input as Record<string, string>);
}

/** Parses SIP text (either kind); honours Content-Length and folded header lines. */
export function parseSipMessage(text: string): SipMessage {
  const split = text.indexOf(CRLF + CRLF);
  const head = split === -1 ? text : text.slice(0, split);
  let body = split === -1 ? '' : text.slice(split + 4);
  const lines = head.split(/\r\n(?![ \t])/).map((l) => l.replace(/\r\n[ \t]+/g, ' '));
  const start = lines.shift() ?? '';
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`malformed SIP header line: ${JSON.stringify(line)}`);
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const lengthHeader = headers.find(([n]) => canonical(n) === 'content-length')?.[1];
  if (lengthHeader !== undefined) {
    const bytes = Buffer.from(body, 'utf8');
    body = bytes.subarray(0, Math.min(Number(lengthHeader), bytes.length)).toString('utf8');
  }
  const response = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/.exec(start);
  if (response?.[1]) return new SipMessage({ status: Number(response[1]), reason: response[2] ?? '', headers, body });
  const request = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/.exec(start);
  if (request?.[1] && request[2]) return new SipMessage({ method: request[1].toUpperCase(), uri: request[2], headers, body });
  throw new Error(`not a SIP start line: ${JSON.stringify(start)}`);
}

export function asMessage(m: string | SipMessage): SipMessage {
  return typeof m === 'string' ? parseSipMessage(m) : m;
}

// ---- name-addr helpers ----

/** The `tag` parameter of a From/To value (outside the angle brackets). */
export function tagOf(nameAddr: string): string | undefined {
  const params = nameAddr.includes('>') ? nameAddr.slice(nameAddr.lastIndexOf('>') + 1) : nameAddr;
  return /;\s*tag=([^;\s,]+)/i.exec(params)?.[1];
}

export function withTag(nameAddr: string, tag: string): string {
  return tagOf(nameAddr) === undefined ? `${nameAddr};tag=${tag}` : nameAddr;
}

/** The URI of a name-addr (`"A" <sip:a@h>;tag=x` → `sip:a@h`) or of a bare addr-spec. */
export function uriOf(nameAddr: string): string {
  const angle = /<([^>]*)>/.exec(nameAddr);
  if (angle?.[1] !== undefined) return angle[1].trim();
  return (nameAddr.trim().split(/[;\s]/)[0] ?? '').trim();
}

/** Host and port of a sip:/sips: URI (port 5060 when absent). */
export function hostPortOf(uri: string): { host: string; port: number } {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?/i.exec(uri.trim());
  if (!m?.[1]) throw new Error(`not a sip URI: ${uri}`);
  return { host: m[1], port: m[2] ? Number(m[2]) : 5060 };
}

export function randomToken(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

export function newBranch(): string {
  return `z9hG4bK${randomToken(8)}`;
}

// ---- builders for what the network sends ----

export interface Endpoint {
  host: string;
  port: number;
  transport?: 'UDP' | 'TCP' | 'TLS';
}

/** Where the simulated phone claims to send from (metadata only). */
export const DEFAULT_PHONE: Endpoint = { host: '127.0.0.1', port: 5070, transport: 'UDP' };

export function viaFor(ep: Endpoint): string {
  return `SIP/2.0/${ep.transport ?? 'UDP'} ${ep.host}:${ep.port};rport;branch=${newBranch()}`;
}

export interface RequestSpec {
  /** From name-addr; a tag is added when missing. */
  from: string;
  /** To name-addr (no tag for a request outside a dialog). */
  to: string;
  /** Defaults to the To URI. */
  requestUri?: string;
  callId?: string;
  cseq?: number;
  /** Contact URI; defaults to the From user at `via`. */
  contact?: string;
  /** Where the phone sends from (used in Via and the default Contact). */
  via?: Endpoint;
  headers?: HeaderInput;
  body?: string;
  contentType?: string;
}

export function request(method: string, spec: RequestSpec): string {
  const ep = spec.via ?? DEFAULT_PHONE;
  const fromUser = /^sips?:([^@;>]+)@/i.exec(uriOf(spec.from))?.[1];
  const m = new SipMessage({ method: method.toUpperCase(), uri: spec.requestUri ?? uriOf(spec.to) });
  m.add('Via', viaFor(ep))
    .add('Max-Forwards', '70')
    .add('From', withTag(spec.from, randomToken()))
    .add('To', spec.to)
    .add('Call-ID', spec.callId ?? `${randomToken(10)}@${ep.host}`)
    .add('CSeq', `${spec.cseq ?? 1} ${method.toUpperCase()}`)
    .add('Contact', `<${spec.contact ?? `sip:${fromUser ? `${fromUser}@` : ''}${ep.host}:${ep.port}`}>`);
  for (const [n, v] of headerPairs(spec.headers)) m.add(n, v);
  if (spec.body) {
    m.set('Content-Type', spec.contentType ?? m.get('content-type') ?? 'application/sdp');
    m.body = spec.body;
  }
  return m.toString();
}

export function invite(spec: Omit<RequestSpec, 'body' | 'contentType'> & { sdp?: string }): string {
  const { sdp, ...rest } = spec;
  return request('INVITE', sdp === undefined ? rest : { ...rest, body: sdp, contentType: 'application/sdp' });
}

export function options(spec: RequestSpec): string {
  return request('OPTIONS', spec);
}

/** CANCEL for a pending INVITE: same Request-URI, Call-ID, From, To, CSeq number and Via branch. */
export function cancel(inviteText: string | SipMessage): string {
  const inv = asMessage(inviteText);
  const m = new SipMessage({ method: 'CANCEL', uri: inv.uri });
  m.add('Via', inv.require('via'))
    .add('Max-Forwards', '70')
    .add('From', inv.require('from'))
    .add('To', inv.require('to'))
    .add('Call-ID', inv.callId)
    .add('CSeq', `${inv.cseq.seq} CANCEL`);
  return m.toString();
}

/**
 * ACK for a final response to an INVITE. For a 2xx it is a new transaction sent to the
 * response's Contact; for a failure it reuses the INVITE's branch and Request-URI (RFC 3261 17.1.1.3).
 */
export function ack(inviteText: string | SipMessage, responseText: string | SipMessage, body?: string): string {
  const inv = asMessage(inviteText);
  const res = asMessage(responseText);
  const success = (res.status ?? 0) >= 200 && (res.status ?? 0) < 300;
  const contact = res.get('contact');
  const m = new SipMessage({ method: 'ACK', uri: success && contact ? uriOf(contact) : inv.uri });
  const via = inv.require('via');
  m.add('Via', success ? via.replace(/branch=[^;,\s]+/i, `branch=${newBranch()}`) : via)
    .add('Max-Forwards', '70')
    .add('From', inv.require('from'))
    .add('To', res.require('to'))
    .add('Call-ID', inv.callId)
    .add('CSeq', `${inv.cseq.seq} ACK`);
  if (body) {
    m.add('Content-Type', 'application/sdp');
    m.body = body;
  }
  return m.toString();
}

export interface ResponseOptions {
  reason?: string;
  headers?: HeaderInput;
  body?: string;
  contentType?: string;
  /** To tag to add when the request's To has none (not added to 100 Trying). */
  toTag?: string;
  /** Contact for dialog-forming responses. */
  contact?: string;
}

/** A response to `req`, copying Via, From, To, Call-ID and CSeq as a UAS must. */
export function response(req: string | SipMessage, status: number, opts: ResponseOptions = {}): string {
  return buildResponse(asMessage(req), status, opts).toString();
}

export function buildResponse(req: SipMessage, status: number, opts: ResponseOptions = {}): SipMessage {
  const m = new SipMessage({ status, reason: opts.reason ?? REASONS[status] ?? 'Unknown' });
  for (const via of req.getAll('via')) m.add('Via', via);
  const to = req.require('to');
  m.add('From', req.require('from'))
    .add('To', status > 100 && opts.toTag ? withTag(to, opts.toTag) : to)
    .add('Call-ID', req.callId)
    .add('CSeq', req.require('cseq'));
  if (opts.contact) m.add('Contact', opts.contact.includes('<') ? opts.contact : `<${opts.contact}>`);
  for (const [n, v] of headerPairs(opts.headers)) m.set(n, v);
  if (opts.body) {
    m.set('Content-Type', opts.contentType ?? m.get('content-type') ?? (opts.body.startsWith('v=0') ? 'application/sdp' : 'text/plain'));
    m.body = opts.body;
  }
  return m;
}

export const REASONS: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  603: 'Decline',
};

// ---- SDP ----

/** A minimal audio SDP (PCMU + telephone-event). */
export function sdp(opts: { address?: string; port: number; sessionVersion?: number; direction?: string }): string {
  const address = opts.address ?? '127.0.0.1';
  return [
    'v=0',
    `o=- 1234 ${opts.sessionVersion ?? 1} IN IP4 ${address}`,
    's=-',
    `c=IN IP4 ${address}`,
    't=0 0',
    `m=audio ${opts.port} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    `a=${opts.direction ?? 'sendrecv'}`,
    '',
  ].join(CRLF);
}
