import type { IncomingMessage } from 'node:http';
import { CidrSet } from '../../sip/admission/cidr.js';

/**
 * The address a request really comes from, for the per-client rate limit. Behind the web
 * container's nginx every request arrives from nginx, so a trusted proxy's X-Forwarded-For
 * (the right-most address that is not itself a trusted proxy: the left part is whatever the
 * client wrote) or X-Real-IP is believed; anyone else's headers are ignored.
 */
export class ClientAddress {
  readonly #proxies: CidrSet;

  constructor(trustedProxies: readonly string[]) {
    this.#proxies = new CidrSet(trustedProxies);
  }

  of(req: IncomingMessage): string {
    const peer = plain(req.socket.remoteAddress ?? 'unknown');
    if (!this.#proxies.has(peer)) return peer;
    const xff = headerValue(req.headers['x-forwarded-for']);
    if (xff !== undefined) {
      const hops = xff.split(',').map((s) => plain(s.trim())).filter((s) => s !== '');
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] as string;
        if (!this.#proxies.has(hop)) return hop;
      }
      if (hops[0] !== undefined) return hops[0];
    }
    const real = headerValue(req.headers['x-real-ip'])?.trim();
    return real !== undefined && real !== '' ? plain(real) : peer;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

/** IPv4-mapped IPv6 ("::ffff:192.0.2.1") as the IPv4 address it is. */
function plain(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}
