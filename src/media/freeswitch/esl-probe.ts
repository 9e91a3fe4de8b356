/**
 * A self-contained check of FreeSWITCH's event socket: connect, authenticate, ask for
 * `sofia status`, leave. drachtio-fsmrf is only handed the connection after this says yes,
 * because the library misbehaves on each of the failures checked here: after a refused or lost
 * first attempt its socket keeps retrying in the background forever, with a wrong password its
 * connect() never settles, and if the SIP profile is not up yet it throws from inside a socket
 * callback, which would take the whole process down.
 */
import { connect } from 'node:net';

export type EslProbeResult = { ok: true } | { ok: false; kind: 'unreachable' | 'auth' | 'protocol' | 'not-ready'; message: string };

interface EslMessage {
  headers: Map<string, string>;
  body: string;
}

/** Splits event socket traffic into messages: headers, an empty line, then Content-Length bytes. */
class EslReader {
  #buf = Buffer.alloc(0);

  push(chunk: Buffer): EslMessage[] {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    const out: EslMessage[] = [];
    for (;;) {
      const end = this.#buf.indexOf('\n\n');
      if (end < 0) break;
      const headers = new Map<string, string>();
      for (const line of this.#buf.subarray(0, end).toString('utf8').split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? '0');
      if (this.#buf.length < end + 2 + length) break;
      out.push({ headers, body: this.#buf.subarray(end + 2, end + 2 + length).toString('utf8') });
      this.#buf = this.#buf.subarray(end + 2 + length);
    }
    return out;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function probeEventSocket(host: string, port: number, secret: string, profile: string, timeoutMs = 3000): Promise<EslProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const reader = new EslReader();
    let stage: 'greeting' | 'auth' | 'status' = 'greeting';
    let settled = false;
    const finish = (result: EslProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.ok) socket.end('exit\n\n');
      else socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, kind: 'unreachable', message: `no answer from ${host}:${port} within ${timeoutMs} ms` }), timeoutMs);
    socket.on('error', (err) => finish({ ok: false, kind: 'unreachable', message: `${host}:${port}: ${err.message}` }));
    socket.on('close', () => finish({ ok: false, kind: 'protocol', message: `${host}:${port} closed the connection` }));
    socket.on('data', (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) {
        const type = msg.headers.get('content-type');
        if (type === 'text/rude-rejection') {
          finish({ ok: false, kind: 'auth', message: 'event socket refused this address (its ACL)' });
        } else if (stage === 'greeting' && type === 'auth/request') {
          stage = 'auth';
          socket.write(`auth ${secret}\n\n`);
        } else if (stage === 'auth' && type === 'command/reply') {
          const reply = msg.headers.get('reply-text') ?? '';
          if (!reply.startsWith('+OK')) {
            finish({ ok: false, kind: 'auth', message: `event socket refused the password (${reply || 'no reply text'})` });
            return;
          }
          stage = 'status';
          socket.write('api sofia status\n\n');
        } else if (stage === 'status' && type === 'api/response') {
          // The line drachtio-fsmrf reads the profile's SIP address from.
          const line = new RegExp(`^\\s*${escapeRegExp(profile)}\\s.*sip:mod_sofia@\\d+\\.\\d+\\.\\d+\\.\\d+:\\d+`, 'm');
          finish(line.test(msg.body) ? { ok: true } : { ok: false, kind: 'not-ready', message: `FreeSWITCH has no SIP profile '${profile}' running (yet)` });
        }
      }
    });
  });
}
