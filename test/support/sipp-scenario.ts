/**
 * sipp scenarios for whole calls through a real drachtio-server, with the media done by an
 * RtpPhone: the INVITE's SDP names the phone's port, and the port of the gateway's answer is
 * written to sipp's log file, where the test reads it.
 */
import { readFile } from 'node:fs/promises';

export interface CallScenarioOptions {
  /** X-Room-Name header; none lets the gateway route the call (e.g. the PIN prompt). */
  room?: string;
  displayName: string;
  /** The phone's SDP offer (RtpPhone.offer()). */
  sdp: string;
  /** 'caller': the phone hangs up after talkMs; 'gateway': the phone waits for the gateway's BYE. */
  hangup: { by: 'caller'; talkMs: number } | { by: 'gateway' };
  /** A hold (re-INVITE a=sendonly) `afterMs` after the ACK, then a resume (a=sendrecv) `holdMs` later. */
  hold?: { afterMs: number; holdMs: number };
  /** Digits sent as INFO application/dtmf-relay after the ACK (each answered 200), `afterMs` in. */
  infoDigits?: { afterMs: number; digits: string };
  /**
   * A blind transfer `afterMs` after the ACK: REFER to `to`. 'accepted': 202, then NOTIFYs up to
   * the one with the final status, each answered and logged as `NOTIFY <sipfrag>`;
   * 'refused': the REFER's final answer is `refusedWith`.
   */
  refer?: { afterMs: number; to: string } & ({ expect: 'accepted' } | { expect: 'refused'; refusedWith: number });
}

function headers(o: CallScenarioOptions, method: string, cseq: number, withPeerTag: boolean): string {
  return [
    `${method} ${method === 'INVITE' ? 'sip:4000@[remote_ip]:[remote_port]' : '[next_url]'} SIP/2.0`,
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    `From: "${o.displayName}" <sip:+15550001234@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`,
    `To: <sip:4000@[remote_ip]:[remote_port]>${withPeerTag ? '[peer_tag_param]' : ''}`,
    'Call-ID: [call_id]',
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:sipp@[local_ip]:[local_port]>',
    'Max-Forwards: 70',
    // In-dialog requests follow the route set a record-routing proxy (a load balancer) put in the
    // 200; sipp leaves the line out when there is none.
    ...(withPeerTag ? ['[routes]'] : []),
  ].join('\n      ');
}

export function callScenario(o: CallScenarioOptions): string {
  const sdp = o.sdp.trim().split(/\r?\n/).join('\n      ');
  const room = o.room === undefined ? '' : `\n      X-Room-Name: ${o.room}`;
  const info =
    o.infoDigits === undefined
      ? ''
      : `
  <pause milliseconds="${o.infoDigits.afterMs}"/>` +
        [...o.infoDigits.digits]
          .map(
            (d, i) => `
  <send retrans="500"><![CDATA[
      ${headers(o, 'INFO', 10 + i, true)}
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal=${d}
      Duration=160
  ]]></send>
  <recv response="200"/>
  <pause milliseconds="250"/>`,
          )
          .join('');
  const reinvite = (cseq: number, direction: 'sendonly' | 'sendrecv', expect: RegExp): string => `
  <send retrans="500"><![CDATA[
      ${headers(o, 'INVITE', cseq, true)}
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp.replace(/a=sendrecv/, `a=${direction}`).replace(/^o=(\S+) (\S+) (\d+)/m, `o=$1 $2 ${cseq}`)}

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="200" rrs="true">
    <action><ereg regexp="${expect.source}" search_in="body" check_it="true" assign_to="dir${cseq}"/><log message="REINVITE ${cseq} [$dir${cseq}]"/></action>
  </recv>
  <send><![CDATA[
      ${headers(o, 'ACK', cseq, true)}
      Content-Length: 0

  ]]></send>`;
  const hold =
    o.hold === undefined
      ? ''
      : `
  <pause milliseconds="${o.hold.afterMs}"/>${reinvite(3, 'sendonly', /a=recvonly/)}
  <pause milliseconds="${o.hold.holdMs}"/>${reinvite(4, 'sendrecv', /a=sendrecv/)}`;
  const end =
    hold +
    info +
    referSteps(o) +
    (o.hangup.by === 'caller'
      ? `
  <pause milliseconds="${o.hangup.talkMs}"/>
  <send retrans="500"><![CDATA[
      ${headers(o, 'BYE', 100, true)}
      Content-Length: 0

  ]]></send>
  <recv response="200" crlf="true"/>`
      : `
  <recv request="BYE" timeout="60000"/>${okToRequest()}`);
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="phone call through the gateway">
  <send retrans="500"><![CDATA[
      ${headers(o, 'INVITE', 1, false)}${room}
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp}

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true">
    <action>
      <ereg regexp="m=audio [0-9]+" search_in="body" check_it="true" assign_to="port"/>
      <ereg regexp="c=IN IP4 [0-9.]+" search_in="body" check_it="true" assign_to="addr"/>
      <log message="ANSWER [$addr] [$port]"/>
    </action>
  </recv>
  <send><![CDATA[
      ${headers(o, 'ACK', 1, true)}
      Content-Length: 0

  ]]></send>${end}
</scenario>
`;
}

/**
 * 200 OK to the request just received. `attrs` may make the send jump: a jump on a <nop> after it
 * would run only on sipp's next turn for the call, and a request arriving before that turn (the
 * gateway's BYE right after its last NOTIFY) would find no <recv> waiting for it.
 */
function okToRequest(attrs = ''): string {
  return `
  <send${attrs}><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>`;
}

function referSteps(o: CallScenarioOptions): string {
  const r = o.refer;
  if (r === undefined) return '';

  // NOTIFYs up to the one with a final status: 100 Trying, maybe provisional ones (180), then the
  // final one. Unrolled, with a variable of its own per NOTIFY, rather than a loop over one.
  const notify = (k: number): string => `
  <recv request="NOTIFY" timeout="30000">
    <action>
      <ereg regexp="SIP/2.0 [0-9]+" search_in="body" check_it="true" assign_to="frag${k}"/>
      <ereg regexp="SIP/2.0 [2-6][0-9][0-9]" search_in="body" assign_to="final${k}"/>
      <log message="NOTIFY [$frag${k}]"/>
    </action>
  </recv>${okToRequest(` next="refer_done" test="final${k}"`)}`;
  const notifies = [1, 2, 3, 4].map(notify).join('') + `
  <label id="refer_done"/>`;
  return `
  <pause milliseconds="${r.afterMs}"/>
  <send retrans="500"><![CDATA[
      ${headers(o, 'REFER', 50, true)}
      Refer-To: <${r.to}>
      Referred-By: <sip:+15550001234@[local_ip]:[local_port]>
      Content-Length: 0

  ]]></send>` +
    (r.expect === 'accepted'
      ? `
  <recv response="202"/>${notifies}`
      : `
  <recv response="${r.refusedWith}"><action><log message="REFER REFUSED ${r.refusedWith}"/></action></recv>`);
}

/** The sipfrag status lines of the NOTIFYs the phone received about its transfer, in order. */
export async function referNotifies(logFile: string): Promise<number[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return [...text.matchAll(/NOTIFY SIP\/2\.0 (\d+)/g)].map((m) => Number(m[1]));
}

/** The gateway's media address and port from sipp's log file, once sipp wrote it. */
export async function answeredMedia(logFile: string): Promise<{ address: string; port: number } | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const m = /ANSWER c=IN IP4 (\d+\.\d+\.\d+\.\d+) m=audio (\d+)/.exec(text);
  return m?.[1] !== undefined && m[2] !== undefined ? { address: m[1], port: Number(m[2]) } : undefined;
}

/**
 * sipp as the far end of a dial-out: it answers the gateway's REGISTER (any number of times: each
 * one is its own sipp call) and one INVITE with `sdp` (the callee RtpPhone's), logs the gateway's
 * offer for the test, and then waits for the gateway's BYE.
 */
export function calleeScenario(o: { sdp: string; busy?: boolean }): string {
  const sdp = o.sdp.trim().split(/\r?\n/).join('\n      ');
  const reply = (status: string, extra: string[], body?: string): string => `<![CDATA[
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      ${[...extra, body === undefined ? 'Content-Length: 0' : 'Content-Type: application/sdp\n      Content-Length: [len]'].join('\n      ')}
${body === undefined ? '' : `\n      ${body}\n`}
  ]]>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="callee of a dial-out">
  <recv request="INVITE" optional="true" next="call">
    <action>
      <ereg regexp="m=audio [0-9]+" search_in="body" check_it="true" assign_to="port"/>
      <ereg regexp="c=IN IP4 [0-9.]+" search_in="body" check_it="true" assign_to="addr"/>
      <log message="OFFER [$addr] [$port]"/>
    </action>
  </recv>
  <recv request="REGISTER"/>
  <send>${reply('200 OK', ['[last_Contact:];expires=600', 'Expires: 600'])}</send>
  <nop next="done"/>
  <label id="call"/>${
    o.busy === true
      ? `
  <send>${reply('486 Busy Here', [])}</send>
  <recv request="ACK"><action><log message="WAS BUSY"/></action></recv>
  <nop next="done"/>`
      : ''
  }
  <send>${reply('180 Ringing', ['Contact: <sip:callee@[local_ip]:[local_port]>'])}</send>
  <pause milliseconds="300"/>
  <send retrans="500">${reply('200 OK', ['Contact: <sip:callee@[local_ip]:[local_port]>'], sdp)}</send>
  <recv request="ACK"/>
  <recv request="BYE" timeout="60000">
    <action><log message="GOT BYE"/></action>
  </recv>
  <send>${reply('200 OK', [])}</send>
  <label id="done"/>
</scenario>
`;
}

/** The gateway's offer address and port from sipp's log file, once sipp wrote it. */
export async function offeredMedia(logFile: string): Promise<{ address: string; port: number } | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const m = /OFFER c=IN IP4 (\d+\.\d+\.\d+\.\d+) m=audio (\d+)/.exec(text);
  return m?.[1] !== undefined && m[2] !== undefined ? { address: m[1], port: Number(m[2]) } : undefined;
}
