/**
 * A tiny server speaking the start of FreeSWITCH's inbound event socket protocol (greeting, auth,
 * `api sofia status`, exit), for tests of what reads it when no FreeSWITCH is at hand.
 */
import { createServer, type Server, type Socket } from 'node:net';

/** What the fake event socket does with a new connection. */
export type FakeEslBehaviour = 'auth' | 'silent' | 'rude' | 'no-profile';

export interface FakeEventSocket {
  port: number;
  /** Every command block the client sent, in order. */
  received: string[];
  close(): Promise<void>;
}

/** What `sofia status` prints with the drachtio_mrf profile up (the part the probe reads). */
const SOFIA_STATUS = [
  '                     Name\t   Type\t                                      Data\tState',
  '=================================================================================================',
  '             drachtio_mrf\tprofile\t           sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
  '=================================================================================================',
  '1 profile 0 aliases',
  '',
].join('\n');

export async function fakeEventSocket(secret: string, behaviour: FakeEslBehaviour): Promise<FakeEventSocket> {
  const received: string[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
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
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
