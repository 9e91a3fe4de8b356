import { createServer, type AddressInfo, type Server } from 'node:net';
import { parseSipMessage, type SipMessage } from '../sip-messages.js';
import { AppConnection } from './app-connection.js';
import { AppSide, type RespondOptions } from './app-side.js';
import { Conditions } from './mailbox.js';
import { NetworkSide, type InjectedRequest, type InjectOptions } from './network-side.js';
import { StackContext, type CapturedRequest } from './stack-context.js';
import { apiResponse, parseAppMessage } from './wire.js';

export interface DrachtioDoubleOptions {
  /** Shared secret the app must present (drachtio-server's default is `cymru`). */
  secret?: string;
  /** SIP address the emulated server reports and puts in Via/Contact; nothing is bound there. */
  sipAddress?: string;
  sipPort?: number;
  /** Version string sent on authentication. */
  version?: string;
  /** TCP port to listen on; a free one by default. */
  port?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/**
 * A stand-in for drachtio-server: accepts drachtio-srf's inbound connection on 127.0.0.1 (a free
 * port), authenticates it, takes its route registrations, and lets a test play the SIP network:
 * inject requests and read the app's responses, capture the app's requests and answer them.
 */
export class DrachtioDouble {
  readonly host = '127.0.0.1';
  readonly secret: string;
  readonly version: string;
  /** Problems in what the app sent (bad frames, unparsable SIP); a healthy test leaves this empty. */
  readonly errors: Error[] = [];

  readonly #server: Server;
  readonly #conns = new Set<AppConnection>();
  readonly #conditions = new Conditions();
  readonly #ctx: StackContext;
  readonly #network: NetworkSide;
  readonly #app: AppSide;
  #authFailures = 0;
  #closed = false;

  private constructor(server: Server, opts: DrachtioDoubleOptions) {
    this.#server = server;
    this.secret = opts.secret ?? 'cymru';
    this.version = opts.version ?? 'v0.9.4';
    this.#ctx = new StackContext(
      { sipAddress: opts.sipAddress ?? '127.0.0.1', sipPort: opts.sipPort ?? 5060 },
      () => this.#conns,
    );
    this.#network = new NetworkSide(this.#ctx);
    this.#app = new AppSide(this.#ctx);
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      const conn = new AppConnection(socket);
      this.#conns.add(conn);
      socket.on('data', (chunk: Buffer) => this.#onData(conn, chunk));
      // The app resetting its connection is part of the reconnect tests, not a failure.
      socket.on('error', () => {});
      socket.on('close', () => {
        conn.closed = true;
        this.#conns.delete(conn);
        this.#ctx.dialogs.dropConnection(conn);
        this.#conditions.changed();
      });
    });
  }

  static async start(opts: DrachtioDoubleOptions = {}): Promise<DrachtioDouble> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new DrachtioDouble(server, opts);
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** What to pass to `srf.connect()`. */
  get connectOptions(): { host: string; port: number; secret: string } {
    return { host: this.host, port: this.port, secret: this.secret };
  }

  /** The SIP transports reported on authentication, in drachtio's `proto/address:port` list form. */
  get hostports(): string {
    return ['udp', 'tcp'].map((p) => `${p}/${this.#ctx.hostport}`).join(',');
  }

  get authFailures(): number {
    return this.#authFailures;
  }

  /** Authenticated app connections currently open. */
  get connectionCount(): number {
    return [...this.#conns].filter((c) => c.authenticated && !c.closed).length;
  }

  /** Methods (lower case) some connected app has routed to itself. */
  get routes(): ReadonlySet<string> {
    return new Set([...this.#conns].flatMap((c) => (c.authenticated ? [...c.routes] : [])));
  }

  /** Requests the app has sent so far (and the ACKs the stack sent itself). */
  get requests(): readonly CapturedRequest[] {
    return this.#ctx.captured.items;
  }

  /** Forgets the requests captured so far, so a soak test measures the gateway, not this record. */
  forgetRequests(): void {
    this.#ctx.captured.forget();
    this.#network.forgetFinished();
  }

  waitForConnection(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return this.#conditions.until(() => this.connectionCount > 0, timeoutMs, 'an authenticated drachtio connection');
  }

  waitForNoConnection(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return this.#conditions.until(() => this.#conns.size === 0, timeoutMs, 'every drachtio connection to close');
  }

  /** Resolves once an authenticated app asked for requests of `method`. */
  waitForRoute(method: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const m = method.toLowerCase();
    return this.#conditions.until(() => this.routes.has(m), timeoutMs, `a route for ${method}`);
  }

  /** Delivers a request from the SIP network to the app as drachtio-server would. */
  injectRequest(sipText: string, opts?: InjectOptions): InjectedRequest {
    this.#assertOpen();
    return this.#network.inject(sipText, opts);
  }

  /** The next request of `method` the app sent (not yet returned by an earlier call). */
  waitForRequest(method: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CapturedRequest> {
    const want = method.toUpperCase();
    return this.#ctx.captured.take((r) => r.method === want, timeoutMs, `a ${want} from the app`);
  }

  /** The next request the app (or the stack) sent, whatever its method; for a relay to a real peer. */
  nextRequest(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CapturedRequest> {
    return this.#ctx.captured.take(() => true, timeoutMs, 'a request from the app');
  }

  /**
   * Answers a request the app sent, as the far end; the response reaches srf unless it is the 200
   * to a CANCEL. With `sameRead`, the requests it builds from the response (say the callee's BYE)
   * reach the app in the same socket read as the response.
   */
  respond(req: CapturedRequest, status: number, opts?: RespondOptions, sameRead?: (res: SipMessage) => string[]): SipMessage {
    this.#assertOpen();
    if (sameRead === undefined) return this.#app.respond(req, status, opts);
    const conns = [...this.#conns];
    for (const c of conns) c.hold();
    try {
      const res = this.#app.respond(req, status, opts);
      for (const text of sameRead(res)) this.#network.inject(text, { source: req.destination });
      return res;
    } finally {
      for (const c of conns) c.release();
    }
  }

  /** Drops every app connection abruptly (a drachtio-server restart); the port stays open. */
  async disconnect(): Promise<void> {
    for (const c of this.#conns) c.socket.destroy();
    await this.#conditions.until(() => this.#conns.size === 0, DEFAULT_TIMEOUT_MS, 'connections to close');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new Error('drachtio double closed');
    for (const c of this.#conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#ctx.captured.close(reason);
    this.#network.closeAll(reason);
    this.#conditions.close(reason);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('drachtio double is closed');
  }

  #onData(conn: AppConnection, chunk: Buffer): void {
    let messages: string[];
    try {
      messages = conn.decoder.push(chunk);
    } catch (err) {
      // drachtio-server drops a client that breaks the framing.
      this.errors.push(err as Error);
      conn.socket.destroy();
      return;
    }
    for (const text of messages) {
      try {
        this.#onMessage(conn, text);
      } catch (err) {
        this.errors.push(err as Error);
        conn.send(apiResponse(parseAppMessage(text).msgId, 'NOK', `drachtio double: ${(err as Error).message}`));
      }
    }
  }

  #onMessage(conn: AppConnection, text: string): void {
    const m = parseAppMessage(text);
    if (m.type === 'authenticate') {
      this.#authenticate(conn, m.msgId, m.args);
      return;
    }
    if (!conn.authenticated) {
      conn.send(apiResponse(m.msgId, 'NO', 'not authenticated'));
      return;
    }
    switch (m.type) {
      case 'ping':
        conn.send(apiResponse(m.msgId, 'OK', 'pong'));
        return;
      case 'route':
        conn.routes.add((m.args[0] ?? '').toLowerCase());
        conn.send(apiResponse(m.msgId, 'OK'));
        this.#conditions.changed();
        return;
      case 'remove_route':
        conn.routes.delete((m.args[0] ?? '').toLowerCase());
        conn.send(apiResponse(m.msgId, 'OK'));
        this.#conditions.changed();
        return;
      case 'sip': {
        const sip = parseSipMessage(m.payload);
        if (sip.isRequest) this.#app.request(conn, m.msgId, m.args, sip);
        else this.#network.appResponse(conn, m.msgId, m.args[0] ?? '', sip);
        return;
      }
      case 'proxy':
        conn.send(apiResponse(m.msgId, 'NOK', 'proxy is not supported by the drachtio test double'));
        return;
      default:
        conn.send(apiResponse(m.msgId, 'NO', 'Unknown message type'));
    }
  }

  #authenticate(conn: AppConnection, msgId: string, args: readonly string[]): void {
    const [secret = '', tags = ''] = args;
    if (secret !== this.secret) {
      // drachtio-server answers, then drops the client.
      this.#authFailures += 1;
      conn.send(apiResponse(msgId, 'NO', 'incorrect secret'));
      conn.socket.end();
      this.#conditions.changed();
      return;
    }
    conn.authenticated = true;
    conn.tags = tags ? tags.split(',') : [];
    conn.send(apiResponse(msgId, 'OK', `${this.hostports}|${this.version}|${this.hostports}`));
    this.#conditions.changed();
  }
}
