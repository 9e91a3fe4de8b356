import Srf from 'drachtio-srf';
import type { DrachtioDouble } from './server.js';

/**
 * Connects a real drachtio-srf to a DrachtioDouble for a test, and disconnects it so that no
 * socket or srf retry timer outlives the test. srf is told not to reconnect by itself: a test
 * that wants reconnects uses DrachtioConnection.
 */
export class SrfClient {
  readonly srf = new Srf();
  /** Every 'connect' srf emitted: [err, hostport, serverVersion, localHostports]. */
  readonly connects: unknown[][] = [];
  readonly errors: unknown[] = [];
  #open = false;
  #closed: Promise<void> = Promise.resolve();
  #onClosed: (() => void) | undefined;

  private constructor() {
    const events = this.srf as unknown as SrfEvents;
    events.on('connect', (...args) => {
      this.connects.push(args);
    });
    events.on('error', (err) => this.errors.push(err));
    events.on('close', () => {
      this.#open = false;
      this.#onClosed?.();
    });
  }

  /** Connects and resolves with srf's first 'connect' arguments (an auth failure resolves too). */
  static async connect(double: DrachtioDouble, opts: { secret?: string; timeoutMs?: number } = {}): Promise<SrfClient> {
    const client = new SrfClient();
    const connected = client.#nextConnect(opts.timeoutMs ?? 5000);
    client.#closed = new Promise<void>((resolve) => {
      client.#onClosed = resolve;
    });
    client.#open = true;
    (client.srf as unknown as SrfConnect).connect({
      ...double.connectOptions,
      secret: opts.secret ?? double.secret,
      reconnect: { maxAttempts: 1 },
    });
    try {
      await connected;
    } catch (err) {
      await Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 1000))]);
      throw err;
    }
    return client;
  }

  /** Ends srf's socket (if still open) and waits for srf to report it closed. */
  async close(): Promise<void> {
    if (this.#open) {
      try {
        this.srf.disconnect();
      } catch {
        /* srf has no socket left to drop */
      }
    }
    await this.#closed;
  }

  #nextConnect(timeoutMs: number): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`srf did not connect within ${timeoutMs} ms`)), timeoutMs);
      (this.srf as unknown as SrfEvents).on('connect', (...args) => {
        clearTimeout(timer);
        resolve(args);
      });
    });
  }
}

interface SrfEvents {
  on(event: 'connect' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
}

interface SrfConnect {
  connect(opts: { host: string; port: number; secret: string; reconnect: { maxAttempts: number } }): unknown;
}

export interface SrfRequestOptions {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  auth?: { username: string; password: string };
}

/**
 * `srf.request(uri, opts)` as it behaves: resolves with the request as sent. (The bundled d.ts
 * declares a different signature.)
 */
export function srfRequest(srf: Srf, uri: string, opts: SrfRequestOptions): Promise<Srf.SrfRequest> {
  const request = srf.request as unknown as (uri: string, opts: SrfRequestOptions) => Promise<Srf.SrfRequest>;
  return request.call(srf, uri, opts);
}

/** The first final response to a request the app sent (srf follows digest challenges before it). */
export function finalResponse(req: Srf.SrfRequest, timeoutMs = 5000): Promise<Srf.SrfResponse> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no final response to ${req.method} in ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      if (res && res.status >= 200) {
        clearTimeout(timer);
        resolve(res);
      }
    });
  });
}
