import type { IncomingMessage } from 'node:http';

/**
 * CORS for the browser-facing endpoints: Jitsi Meet's page (another origin than the gateway, or
 * the same one through nginx) fetches them. `*` allows any origin, which is safe here because
 * the answers carry no credentials and anyone can ask for them without a browser anyway.
 */
export class CorsPolicy {
  readonly #any: boolean;
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.#any = origins.includes('*');
    this.#origins = new Set(origins.map((o) => o.replace(/\/+$/, '').toLowerCase()));
  }

  /** Headers for an answer to `req`; an origin that is not allowed gets none (the browser refuses). */
  headers(req: IncomingMessage): Record<string, string> {
    if (this.#any) return { 'access-control-allow-origin': '*' };
    const origin = req.headers.origin;
    // The answer differs by Origin, so a cache must keep one per Origin.
    if (origin === undefined || !this.#origins.has(origin.toLowerCase())) return { vary: 'Origin' };
    return { 'access-control-allow-origin': origin, vary: 'Origin' };
  }

  allows(req: IncomingMessage): boolean {
    return this.#any || (req.headers.origin !== undefined && this.#origins.has(req.headers.origin.toLowerCase()));
  }
}
