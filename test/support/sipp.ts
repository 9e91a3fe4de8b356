/**
 * sipp as the phone in tests: runSipp() writes a scenario to a temp dir and runs it on free
 * 127.0.0.1 ports, keeping sipp's message trace and <log> output; the builders below write the
 * phone's side of a scenario in sipp's template language.
 *
 * sipp rules the builders respect: [next_url] is only set by a <recv> with rrs="true"; a
 * variable assigned by <ereg> must be referenced again (here by a <log>), or sipp refuses the
 * scenario; exit code 0 means every call reached the end of the scenario.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort, runCommand } from './drachtio-server.js';

export interface SippOptions {
  /** host:port of the SIP server under test. */
  target: string;
  /** Calls to run in all (-m); 1 by default. */
  calls?: number;
  /** Calls at once (-l); all of them by default. */
  concurrent?: number;
  /** New calls per second (-r). */
  rate?: number;
  /** Whole-run limit; sipp fails (exit code 1) when it is reached. */
  timeoutMs?: number;
}

export interface SippRun {
  /** 0: every call completed the scenario. */
  code: number | null;
  output: string;
  /** What the scenario's <log> actions wrote. */
  log: string;
  /** Every SIP message sipp sent and received. */
  messages: string;
  /** The lines of `log` that start with `prefix `, without the prefix. */
  logged(prefix: string): string[];
  /** What to show when an assertion about this run fails. */
  report(): string;
}

export async function runSipp(scenarioXml: string, o: SippOptions): Promise<SippRun> {
  const dir = await mkdtemp(join(tmpdir(), 'sipp-'));
  try {
    const file = (name: string): string => join(dir, name);
    await writeFile(file('scenario.xml'), scenarioXml);
    // -mp matters: sipp binds its media port even when the scenario has no media, 6000 by default.
    const [port, mediaPort] = [await freeUdpPort(), await freeUdpPort()];
    const calls = o.calls ?? 1;
    const timeoutMs = o.timeoutMs ?? 15_000;
    const args = [
      o.target,
      ...['-sf', file('scenario.xml'), '-i', '127.0.0.1', '-p', String(port), '-mp', String(mediaPort)],
      ...['-m', String(calls), '-l', String(o.concurrent ?? calls), ...(o.rate !== undefined ? ['-r', String(o.rate)] : [])],
      ...['-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error', '-nostdin'],
      ...['-trace_msg', '-message_file', file('messages.log'), '-trace_logs', '-log_file', file('actions.log')],
      ...['-trace_err', '-error_file', file('errors.log')],
    ];
    const { code, output } = await runCommand('sipp', args, timeoutMs + 5000);
    const read = (name: string): Promise<string> => readFile(file(name), 'utf8').catch(() => '');
    const [log, messages, errors] = await Promise.all([read('actions.log'), read('messages.log'), read('errors.log')]);
    return {
      code,
      output,
      log,
      messages,
      logged: (prefix) => log.split('\n').flatMap((line) => (line.startsWith(`${prefix} `) ? [line.slice(prefix.length + 1).trim()] : [])),
      report: () =>
        [`sipp exit code ${code}`, '--- sipp errors ---', errors.slice(-3000), '--- sipp messages ---', messages.slice(-6000), '--- sipp output ---', output.slice(-1500)].join('\n'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/* Scenario builders: the phone is "sipp" calling sip:jigasi@<server>. */

const CALLEE = 'sip:jigasi@[remote_ip]:[remote_port]';
const xmlAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const indent = (lines: readonly string[]): string => lines.map((l) => `      ${l}`).join('\n');

export interface RequestOptions {
  cseq: number;
  /** Inside the dialog: sent to [next_url] with the gateway's To tag. */
  inDialog?: boolean;
  /** ACK to a non-2xx final response or CANCEL: the INVITE's branch (from the last response's Via). */
  sameTransaction?: boolean;
  /** The To tag of the last response, outside a dialog (ACK to a non-2xx final response). */
  toTag?: boolean;
  headers?: readonly string[];
  contentType?: string;
  /** Lines of the body; sipp ends each with CRLF. */
  body?: readonly string[];
}

/** A <send> of a request from the phone. */
export function request(method: string, o: RequestOptions): string {
  const lines = [
    `${method} ${o.inDialog === true ? '[next_url]' : CALLEE} SIP/2.0`,
    o.sameTransaction === true ? '[last_Via:]' : 'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    'From: "sipp" <sip:+15550009999@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]',
    `To: <${CALLEE}>${o.inDialog === true || o.toTag === true ? '[peer_tag_param]' : ''}`,
    'Call-ID: [call_id]',
    `CSeq: ${o.cseq} ${method}`,
    'Contact: <sip:sipp@[local_ip]:[local_port]>',
    'Max-Forwards: 70',
    ...(o.headers ?? []),
    ...(o.contentType !== undefined ? [`Content-Type: ${o.contentType}`] : []),
    'Content-Length: [len]',
    '',
    ...(o.body ?? []),
  ];
  // Requests other than ACK are retransmitted over UDP like a phone would (500 ms, doubling).
  return `  <send${method === 'ACK' ? '' : ' retrans="500"'}><![CDATA[\n${indent(lines)}\n\n  ]]></send>`;
}

/** A 200 OK from the phone to the request it just received (e.g. the gateway's BYE). */
export function okToLastRequest(): string {
  const lines = ['SIP/2.0 200 OK', '[last_Via:]', '[last_From:]', '[last_To:]', '[last_Call-ID:]', '[last_CSeq:]', 'Content-Length: 0', ''];
  return `  <send><![CDATA[\n${indent(lines)}\n\n  ]]></send>`;
}

export interface RecvOptions {
  optional?: boolean;
  /** Keep the Contact/Record-Route of this response for [next_url]. */
  rrs?: boolean;
  /** A 401/407 whose challenge a later [authentication] answers. */
  auth?: boolean;
  /** Label to jump to when this message arrives. */
  next?: string;
  timeoutMs?: number;
  /** <action> children, e.g. from header(). */
  actions?: readonly string[];
}

/** A <recv> of a response status (number) or a request method (string). */
export function recv(what: number | string, o: RecvOptions = {}): string {
  const attrs = [
    typeof what === 'number' ? `response="${what}"` : `request="${what}"`,
    ...(o.optional === true ? ['optional="true"'] : []),
    ...(o.rrs === true ? ['rrs="true"'] : []),
    ...(o.auth === true ? ['auth="true"'] : []),
    ...(o.next !== undefined ? [`next="${o.next}"`] : []),
    ...(o.timeoutMs !== undefined ? [`timeout="${o.timeoutMs}"`] : []),
  ].join(' ');
  if (o.actions === undefined || o.actions.length === 0) return `  <recv ${attrs}/>`;
  return `  <recv ${attrs}>\n    <action>\n${o.actions.map((a) => `      ${a}`).join('\n')}\n    </action>\n  </recv>`;
}

/**
 * Actions for recv(): the call fails unless the received message has header `name` matching
 * `regexp`; the match is logged as `<NAME> <value>` (see SippRun.logged).
 */
export function header(name: string, regexp: string): string[] {
  const v = name.toLowerCase().replace(/[^a-z0-9]/g, '_');
  return [
    `<ereg regexp="${xmlAttr(regexp)}" search_in="hdr" header="${name}:" check_it="true" assign_to="${v}"/>`,
    `<log message="${name.toUpperCase()} [$${v}]"/>`,
  ];
}

/** Actions for recv(): the call fails unless the body matches `regexp`; the match is logged as `<logAs> <value>`. */
export function bodyMatches(regexp: string, logAs: string): string[] {
  const v = `body_${logAs.toLowerCase().replace(/[^a-z0-9]/g, '_')}`;
  return [`<ereg regexp="${xmlAttr(regexp)}" search_in="body" check_it="true" assign_to="${v}"/>`, `<log message="${xmlAttr(logAs)} [$${v}]"/>`];
}

/** Jumps to a label (e.g. past a branch the call did not take). */
export function goTo(id: string): string {
  return `  <nop next="${id}"/>`;
}

/** Writes a <log> line (e.g. which branch a call took). */
export function log(message: string): string {
  return `  <nop><action><log message="${xmlAttr(message)}"/></action></nop>`;
}

export function pause(ms: number): string {
  return `  <pause milliseconds="${ms}"/>`;
}

export function label(id: string): string {
  return `  <label id="${id}"/>`;
}

/** The phone's SDP offer: audio on sipp's media port with the given codecs and direction. */
export function sdpOffer(o: { direction?: string; version?: number; codecs?: readonly string[]; omitConnection?: boolean } = {}): string[] {
  const codecs = o.codecs ?? ['0 PCMU/8000', '101 telephone-event/8000'];
  return [
    'v=0',
    `o=sipp 53655765 ${o.version ?? 1} IN IP[local_ip_type] [local_ip]`,
    's=-',
    ...(o.omitConnection === true ? [] : ['c=IN IP[media_ip_type] [media_ip]']),
    't=0 0',
    `m=audio [media_port] RTP/AVP ${codecs.map((c) => c.split(' ')[0]).join(' ')}`,
    ...codecs.map((c) => `a=rtpmap:${c}`),
    `a=${o.direction ?? 'sendrecv'}`,
  ];
}

export function scenario(name: string, steps: readonly string[]): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n<scenario name="${name}">\n${steps.join('\n')}\n</scenario>\n`;
}
