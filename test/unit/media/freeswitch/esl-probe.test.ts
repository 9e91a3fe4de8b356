import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeEventSocket } from '../../../../src/media/freeswitch/esl-probe.js';
import { until } from '../../../support/until.js';

/** What the fake event socket does with a new connection. */
type Behaviour = 'auth' | 'silent' | 'rude' | 'no-profile';

interface FakeEsl {
  port: number;
  /** Every command block the client sent, in order. */
  received: string[];
  server: Server;
}

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A tiny server speaking the start of FreeSWITCH's inbound event socket protocol. */
/** What `sofia status` prints with the drachtio_mrf profile up (the part the probe reads). */
const SOFIA_STATUS = [
  '                     Name\t   Type\t                                      Data\tState',
  '=================================================================================================',
  '             drachtio_mrf\tprofile\t           sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
  '=================================================================================================',
  '1 profile 0 aliases',
  '',
].join('\n');

async function fakeEventSocket(secret: string, behaviour: Behaviour): Promise<FakeEsl> {
  const received: string[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.setEncoding('utf8');
    if (behaviour === 'silent') return;
    if (behaviour === 'rude') {
      const body = 'Access Denied, go away.\n';
      socket.end(`Content-Type: text/rude-rejection\nContent-Length: ${body.length}\n\n${body}`);
      return;
    }
    socket.write('Content-Type: auth/request\n\n');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const command = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        received.push(command);
        if (command.startsWith('auth ')) {
          if (command === `auth ${secret}`) {
            socket.write('Content-Type: command/reply\nReply-Text: +OK accepted\n\n');
          } else {
            socket.end('Content-Type: command/reply\nReply-Text: -ERR invalid\n\n');
          }
        } else if (command === 'api sofia status') {
          const body = behaviour === 'no-profile' ? '0 profiles 0 aliases\n' : SOFIA_STATUS;
          // Multi-byte text in the body: Content-Length counts bytes.
          const text = `${body}– end\n`;
          socket.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(text)}\n\n${text}`);
        } else if (command === 'exit') {
          socket.end('Content-Type: command/reply\nReply-Text: +OK bye\n\n');
        }
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, received, server };
}

/** A port on which nothing listens any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((r) => server.close(() => r()));
  return address.port;
}

describe('probeEventSocket', () => {
  it('succeeds with the right password and says goodbye', async () => {
    const esl = await fakeEventSocket('ClueCon', 'auth');
    expect(await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 2000)).toEqual({ ok: true });
    await until(() => esl.received.length === 3, 2000, 'exit');
    expect(esl.received).toEqual(['auth ClueCon', 'api sofia status', 'exit']);
  });

  it('reports a wrong password as an auth failure', async () => {
    const esl = await fakeEventSocket('ClueCon', 'auth');
    const result = await probeEventSocket('127.0.0.1', esl.port, 'wrong', 'drachtio_mrf', 2000);
    expect(result).toMatchObject({ ok: false, kind: 'auth' });
    expect(result.ok ? '' : result.message).toContain('-ERR invalid');
  });

  it('reports a closed port as unreachable', async () => {
    const port = await closedPort();
    expect(await probeEventSocket('127.0.0.1', port, 'ClueCon', 'drachtio_mrf', 2000)).toMatchObject({ ok: false, kind: 'unreachable' });
  });

  it('gives up on a server that never speaks', async () => {
    const esl = await fakeEventSocket('ClueCon', 'silent');
    const started = Date.now();
    const result = await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 100);
    expect(result).toMatchObject({ ok: false, kind: 'unreachable' });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('says not ready while the SIP profile drachtio-fsmrf needs is not running', async () => {
    const esl = await fakeEventSocket('ClueCon', 'no-profile');
    const result = await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 2000);
    expect(result).toMatchObject({ ok: false, kind: 'not-ready' });
    expect(result.ok ? '' : result.message).toContain("'drachtio_mrf'");
  });

  it('does not take another profile for the one asked for', async () => {
    const esl = await fakeEventSocket('ClueCon', 'auth');
    expect(await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio', 2000)).toMatchObject({ ok: false, kind: 'not-ready' });
  });

  it('reports an ACL rejection as an auth failure', async () => {
    const esl = await fakeEventSocket('ClueCon', 'rude');
    const result = await probeEventSocket('127.0.0.1', esl.port, 'ClueCon', 'drachtio_mrf', 2000);
    expect(result).toMatchObject({ ok: false, kind: 'auth' });
    expect(result.ok ? '' : result.message).toContain('ACL');
  });
});
