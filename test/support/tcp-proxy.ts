/**
 * A TCP relay on 127.0.0.1 in front of a server, so a test can cut a client's connection the way
 * a network does (both sockets destroyed, no stream close) while the server itself stays up.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private constructor(
    readonly server: Server,
    readonly port: number,
    private readonly pairs: Set<[Socket, Socket]>,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const pairs = new Set<[Socket, Socket]>();
    const server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    return new TcpProxy(server, typeof addr === 'object' && addr ? addr.port : 0, pairs);
  }

  get service(): string {
    return `xmpp://127.0.0.1:${this.port}`;
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Cuts every relayed connection at once; new connections are still relayed. */
  cut(): void {
    for (const [a, b] of [...this.pairs]) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
