import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperatorTransferResult } from '../call/operator-transfer.js';
import type { Logger } from '../log.js';
import { parseReferTo } from '../sip/refer-messages.js';
import { bearerMatches } from './bearer.js';

/** Transfers a call; undefined when there is no call with that id. */
export type TransferPort = (callId: string, targetUri: string) => Promise<OperatorTransferResult | undefined>;

export interface OperatorActionsOptions {
  /** HTTP_API_TOKEN; undefined: every POST answers 403. */
  apiToken: string | undefined;
  /** Present when POST /about/shutdown is enabled (ENABLE_REST_SHUTDOWN). */
  shutdown?: () => void;
  transfer?: TransferPort;
  logger: Logger;
}

/** Transfer requests are tiny: anything bigger is not one. */
const MAX_BODY_BYTES = 4096;

const TRANSFER_PATH = /^\/calls\/([^/]+)\/transfer$/;

/** The POST endpoints; any other POST is answered like any unknown route (405 or 404). */
export function isOperatorActionPath(path: string): boolean {
  return path === '/about/shutdown' || TRANSFER_PATH.test(path);
}

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

/**
 * Every state-changing request of the operator API (POST): the bearer token first, then
 * POST /about/shutdown and POST /calls/{id}/transfer.
 */
export async function handleOperatorAction(req: IncomingMessage, res: ServerResponse, path: string, o: OperatorActionsOptions): Promise<void> {
  const reply: Reply = (status, body, headers = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
    res.end(text);
  };
  if (o.apiToken === undefined) {
    reply(403, { error: 'state-changing endpoints are off: set HTTP_API_TOKEN' });
    return;
  }
  if (!bearerMatches(req.headers.authorization, o.apiToken)) {
    o.logger.warn({ remote: req.socket.remoteAddress, path }, 'HTTP API request without a valid bearer token');
    reply(401, { error: 'a valid bearer token is required' }, { 'www-authenticate': 'Bearer realm="jitsi-sip-gateway"' });
    return;
  }
  if (path === '/about/shutdown') {
    if (o.shutdown === undefined) {
      reply(403, { error: 'shutdown over HTTP is disabled (ENABLE_REST_SHUTDOWN)' });
      return;
    }
    o.logger.info({ remote: req.socket.remoteAddress }, 'graceful shutdown requested over HTTP');
    o.shutdown();
    reply(200, { status: 'draining' });
    return;
  }
  const transfer = TRANSFER_PATH.exec(path);
  if (transfer?.[1] !== undefined && o.transfer !== undefined) {
    await transferCall(req, decodeURIComponent(transfer[1]), o.transfer, o.logger, reply);
    return;
  }
  reply(404, { error: 'not found' });
}

async function transferCall(req: IncomingMessage, callId: string, port: TransferPort, log: Logger, reply: Reply): Promise<void> {
  const body = await readBody(req);
  let to: unknown;
  try {
    to = body === undefined ? undefined : (JSON.parse(body) as { to?: unknown }).to;
  } catch {
    to = undefined;
  }
  // Only a plain target: no name-addr, no embedded headers (Replaces is for phones' attended transfers).
  const target = typeof to === 'string' ? parseReferTo(`<${to.trim()}>`) : undefined;
  if (typeof to !== 'string' || target === undefined || target.uri !== to.trim()) {
    reply(400, { error: 'the body must be {"to": "sip:user@host"} (a sip:, sips: or tel: URI)' });
    return;
  }
  log.info({ callId }, 'transfer requested over HTTP');
  const result = await port(callId, target.uri);
  if (result === undefined) {
    reply(404, { error: 'no such call' });
    return;
  }
  switch (result.kind) {
    case 'not-possible':
      reply(409, { error: result.reason });
      return;
    case 'refused':
      reply(502, { status: 'refused', referStatus: result.referStatus ?? null, error: result.reason });
      return;
    case 'accepted':
      reply(202, {
        status: result.outcome,
        referStatus: result.referStatus,
        ...(result.finalStatus !== undefined ? { finalStatus: result.finalStatus, finalReason: result.finalReason } : {}),
      });
  }
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}
