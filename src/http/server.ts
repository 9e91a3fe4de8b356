import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { GatewayMetrics } from './metrics.js';
import { handleOperatorAction, isOperatorActionPath, type TransferPort } from './operator-actions.js';
import { closeServer, listen, listeningAddress } from './listener.js';

/** A dependency's health: undefined when fine, else the reason it is not. */
export interface HealthCheck {
  name: string;
  problem(): string | undefined;
}

export interface HttpApiOptions {
  host: string;
  port: number;
  logger: Logger;
  health: readonly HealthCheck[];
  stats: () => Record<string, unknown>;
  /** GET /calls: every live call with its quality (read-only, like /about/stats). */
  calls: () => unknown;
  metrics: GatewayMetrics;
  version: string;
  /** Present when POST /about/shutdown is enabled. */
  shutdown?: () => void;
  /** HTTP_API_TOKEN: the bearer token of every POST; without it every POST answers 403. */
  apiToken?: string;
  /** POST /calls/{id}/transfer. */
  transfer?: TransferPort;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The operator API: /about/health, /about/stats, /about/version, /calls, /metrics, POST /about/shutdown. */
export class HttpApi {
  #server: Server | undefined;

  constructor(private readonly opts: HttpApiOptions) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.opts.logger.error({ err }, 'http handler failed');
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
        else res.end();
      });
    });
    // Health probes use short connections; don't let idle keep-alives hold the drain open.
    server.keepAliveTimeout = 1000;
    const address = await listen(server, this.opts.port, this.opts.host);
    this.#server = server;
    return address;
  }

  /** Where the API listens, once started. */
  get address(): AddressInfo | undefined {
    return listeningAddress(this.#server);
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    await closeServer(s);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && isOperatorActionPath(path)) {
      const { apiToken, shutdown, transfer, logger } = this.opts;
      await handleOperatorAction(req, res, path, { apiToken, logger, ...(shutdown ? { shutdown } : {}), ...(transfer ? { transfer } : {}) });
      return;
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /about/health': {
        const problems: Record<string, string> = {};
        for (const h of this.opts.health) {
          const p = h.problem();
          if (p !== undefined) problems[h.name] = p;
        }
        if (Object.keys(problems).length === 0) json(res, 200, {});
        else json(res, 503, { status: 'unhealthy', problems });
        return;
      }
      case 'GET /about/stats':
        json(res, 200, this.opts.stats());
        return;
      case 'GET /calls':
        json(res, 200, this.opts.calls());
        return;
      case 'GET /about/version':
        json(res, 200, { name: 'jitsi-sip-gateway', version: this.opts.version, os: process.platform, node: process.version });
        return;
      case 'GET /metrics': {
        const text = await this.opts.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': this.opts.metrics.registry.contentType });
        res.end(text);
        return;
      }
      default:
        json(res, ['/about/health', '/about/stats', '/about/version', '/calls', '/metrics', '/about/shutdown'].includes(path) ? 405 : 404, {
          error: 'not found',
        });
    }
  }
}
