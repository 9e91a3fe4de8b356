import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DialInNumber } from '../../config/dial-in-numbers.js';
import type { NumbersFormat } from '../../config/types.js';
import type { Logger } from '../../log.js';
import { SourceLimiter } from '../../sip/admission/source-limiter.js';
import { BadConferenceError, type BuiltinConferenceMapper } from '../conference-mapper.js';
import { dialInInfoText, mapperAnswer, numbersAnswer, type ErrorAnswer } from '../dial-in-answers.js';
import { PinStoreError } from '../pin-store.js';
import { ClientAddress } from './client-address.js';
import { CorsPolicy } from './cors.js';
import { queryParam } from './query.js';
import { closeServer, listen, listeningAddress } from '../../http/listener.js';

export interface DialInServerOptions {
  host: string;
  port: number;
  mapper: BuiltinConferenceMapper;
  numbers: readonly DialInNumber[];
  numbersFormat: NumbersFormat;
  corsOrigins: readonly string[];
  trustedProxies: readonly string[];
  rateLimit: { perSecond: number; burst: number };
  /** Bearer token of /pinLookup; undefined: that endpoint does not exist. */
  lookupToken: string | undefined;
  logger: Logger;
  /** Clock of the rate limiter, ms; tests pass their own. */
  now?: () => number;
  /** Told of every answer (for /metrics): which endpoint, with what status. */
  onAnswered?: (endpoint: DialInEndpoint, status: number) => void;
}

/** The endpoints by name; anything else counts as 'other', so a scan cannot grow the metric's series. */
export const DIAL_IN_ENDPOINTS = ['conferenceMapper', 'phoneNumberList', 'dialInInfo', 'pinLookup', 'other'] as const;
export type DialInEndpoint = (typeof DIAL_IN_ENDPOINTS)[number];

function endpointOf(url: string | undefined): DialInEndpoint {
  const name = (url ?? '/').split('?', 1)[0]?.slice(1) ?? '';
  return (DIAL_IN_ENDPOINTS as readonly string[]).includes(name) && name !== 'other' ? (name as DialInEndpoint) : 'other';
}

/** How long a browser or proxy may reuse an answer: a PIN lives for days, numbers change rarely. */
const CACHE_SECONDS = 300;
/** Retry-After of a 503 while the PIN store is unreachable. */
const STORE_RETRY_SECONDS = 5;

type Answer = { status: number; body: unknown; cacheable: boolean; headers?: Record<string, string> } | { status: number; text: string; cacheable: boolean };

/**
 * The browser-facing dial-in endpoints, on their own listener so that what faces the Internet
 * (through the web container's nginx) is only this: GET /conferenceMapper, /phoneNumberList and
 * /dialInInfo, plus the token-protected /pinLookup for an external IVR. The operator API
 * (/about/*, /metrics) stays on HTTP_HOST:HTTP_PORT and is not reachable here.
 */
export class DialInServer {
  readonly #o: DialInServerOptions;
  readonly #cors: CorsPolicy;
  readonly #client: ClientAddress;
  readonly #limiter: SourceLimiter;
  readonly #tokenDigest: Buffer | undefined;
  #server: Server | undefined;

  constructor(opts: DialInServerOptions) {
    this.#o = opts;
    this.#cors = new CorsPolicy(opts.corsOrigins);
    this.#client = new ClientAddress(opts.trustedProxies);
    this.#limiter = new SourceLimiter({ perSecond: opts.rateLimit.perSecond, burst: opts.rateLimit.burst, ...(opts.now ? { now: opts.now } : {}) });
    this.#tokenDigest = opts.lookupToken === undefined ? undefined : digest(opts.lookupToken);
  }

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#o.logger.error({ err }, 'dial-in handler failed');
        if (!res.headersSent) this.#send(req, res, { status: 500, body: error(500, 'internal error'), cacheable: false });
        else res.end();
      });
    });
    server.keepAliveTimeout = 5000;
    // Browsers send small GETs: a slow or huge request is not one of them.
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.maxHeadersCount = 50;
    const address = await listen(server, this.#o.port, this.#o.host);
    this.#server = server;
    return address;
  }

  get address(): AddressInfo | undefined {
    return listeningAddress(this.#server);
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    await closeServer(s);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = this.#client.of(req);
    const verdict = this.#limiter.take(client);
    if (!verdict.allowed) {
      if (verdict.first) this.#o.logger.info({ client }, 'dial-in requests from this client throttled (429)');
      const answer = { status: 429, body: error(429, 'too many requests'), cacheable: false, headers: { 'retry-after': String(verdict.retryAfterSeconds) } };
      this.#send(req, res, answer);
      return;
    }
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0] ?? '/';
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS' && path !== '/pinLookup') {
      this.#preflight(req, res);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      const known = ['/conferenceMapper', '/phoneNumberList', '/dialInInfo', '/pinLookup'].includes(path);
      this.#send(req, res, { status: known ? 405 : 404, body: error(known ? 405 : 404, known ? 'only GET' : 'not found'), cacheable: false, headers: { allow: 'GET, HEAD, OPTIONS' } });
      return;
    }
    this.#send(req, res, await this.#route(path, url, req));
  }

  async #route(path: string, url: string, req: IncomingMessage): Promise<Answer> {
    try {
      switch (path) {
        case '/conferenceMapper':
          return await this.#conferenceMapper(url);
        case '/phoneNumberList':
          return this.#phoneNumberList(url);
        case '/dialInInfo':
          return await this.#dialInInfo(url);
        case '/pinLookup':
          if (this.#tokenDigest !== undefined) return await this.#pinLookup(url, req);
          break;
      }
      return { status: 404, body: error(404, 'not found'), cacheable: false };
    } catch (err) {
      if (err instanceof BadConferenceError) return { status: 400, body: error(400, err.message), cacheable: false };
      if (err instanceof PinStoreError) {
        this.#o.logger.warn({ err: err.message }, 'dial-in request failed: PIN store unavailable');
        return { status: 503, body: error(503, 'PIN store unavailable'), cacheable: false, headers: { 'retry-after': String(STORE_RETRY_SECONDS) } };
      }
      throw err;
    }
  }

  async #conferenceMapper(url: string): Promise<Answer> {
    const conference = queryParam(url, 'conference');
    if (conference === undefined || conference === '') {
      // The reverse lookup would let anyone collect meeting names by trying PINs.
      if (queryParam(url, 'id') !== undefined) return { status: 403, body: error(403, 'looking up a meeting by PIN is not public'), cacheable: false };
      return { status: 400, body: error(400, 'the conference parameter (room@muc.domain) is required'), cacheable: false };
    }
    const { conference: jid, pin } = await this.#o.mapper.pinFor(conference);
    return { status: 200, body: mapperAnswer(jid, pin), cacheable: true };
  }

  #phoneNumberList(url: string): Answer {
    // Jitsi Meet names the meeting; the numbers are the same for every meeting, but a malformed
    // name is still a malformed request.
    const conference = queryParam(url, 'conference');
    if (conference !== undefined && conference !== '') this.#o.mapper.normalize(conference);
    return { status: 200, body: numbersAnswer(this.#o.numbers, this.#o.numbersFormat), cacheable: true };
  }

  async #dialInInfo(url: string): Promise<Answer> {
    const conference = queryParam(url, 'conference');
    if (conference === undefined || conference === '') return { status: 400, body: error(400, 'the conference parameter (room@muc.domain) is required'), cacheable: false };
    const { conference: jid, pin } = await this.#o.mapper.pinFor(conference);
    return { status: 200, text: dialInInfoText(jid, pin, this.#o.numbers), cacheable: true };
  }

  async #pinLookup(url: string, req: IncomingMessage): Promise<Answer> {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const expected = this.#tokenDigest;
    if (token === undefined || expected === undefined || !timingSafeEqual(digest(token), expected)) {
      return { status: 401, body: error(401, 'a valid bearer token is required'), cacheable: false, headers: { 'www-authenticate': 'Bearer' } };
    }
    const id = queryParam(url, 'id') ?? '';
    if (!/^\d{1,20}$/.test(id)) return { status: 400, body: error(400, 'the id parameter must be a PIN (digits)'), cacheable: false };
    const conference = await this.#o.mapper.roomForPin(id);
    // The conference mapper API's shape, so CONFERENCE_MAPPER_URL-style clients can use it.
    return { status: conference === undefined ? 404 : 200, body: { id: Number(id), conference: conference ?? false }, cacheable: false };
  }

  #preflight(req: IncomingMessage, res: ServerResponse): void {
    if (!this.#cors.allows(req)) {
      this.#send(req, res, { status: 403, body: error(403, 'origin not allowed'), cacheable: false });
      return;
    }
    res.writeHead(204, {
      ...this.#cors.headers(req),
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
      'access-control-max-age': '600',
      'content-length': '0',
    });
    res.end();
  }

  #send(req: IncomingMessage, res: ServerResponse, a: Answer): void {
    const isText = 'text' in a;
    const payload = isText ? a.text : JSON.stringify(a.body);
    // The token-protected lookup is for servers, not browsers: no CORS on it.
    const cors = req.url?.startsWith('/pinLookup') === true ? {} : this.#cors.headers(req);
    res.writeHead(a.status, {
      ...cors,
      'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
      'content-length': Buffer.byteLength(payload),
      'cache-control': a.cacheable ? `public, max-age=${CACHE_SECONDS}` : 'no-store',
      'x-content-type-options': 'nosniff',
      ...('headers' in a ? a.headers : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : payload);
    this.#o.onAnswered?.(endpointOf(req.url), a.status);
  }
}

function error(status: number, message: string): ErrorAnswer {
  return { message, status };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
