import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { IceCandidateLike, LocalIceCandidate, TransportAddress } from './types.js';

/** Type preferences of RFC 8445 §5.1.2.2 (recommended values). */
const TYPE_PREFERENCE: Readonly<Record<string, number>> = { host: 126, prflx: 110, srflx: 100, relay: 0 };

/** RFC 8445 §5.1.2.1: 2^24·type + 2^8·local + (256 − component). */
export function candidatePriority(type: string, component = 1, localPreference = 65535): number {
  const typePreference = TYPE_PREFERENCE[type] ?? 0;
  return typePreference * 2 ** 24 + localPreference * 2 ** 8 + (256 - component);
}

/** RFC 8445 §6.1.2.3, from the controlling agent's point of view (we are always controlling). */
export function pairPriority(controlling: number, controlled: number): bigint {
  const g = BigInt(controlling);
  const d = BigInt(controlled);
  const min = g < d ? g : d;
  const max = g < d ? d : g;
  return (min << 32n) + 2n * max + (g > d ? 1n : 0n);
}

/** The single host candidate of a transport: one socket, one component (rtcp-mux), UDP. */
export function hostCandidate(ip: string, port: number): LocalIceCandidate {
  return {
    foundation: '1',
    component: 1,
    protocol: 'udp',
    priority: candidatePriority('host'),
    ip,
    port,
    type: 'host',
    generation: 0,
    network: 0,
    id: randomBytes(5).toString('hex'),
  };
}

export interface RemoteCandidate extends TransportAddress {
  priority: number;
  type: string;
  foundation: string;
}

/**
 * Keeps the candidates we can use from one socket: UDP, component 1 (RTP; rtcp-mux means no RTCP
 * component), an IP literal of the socket's family. TCP candidates (the JVB offers them for
 * clients behind UDP-blocking firewalls) and mDNS names are ignored.
 */
export function usableRemoteCandidate(c: IceCandidateLike, family: 4 | 6): RemoteCandidate | undefined {
  if (c.protocol.toLowerCase() !== 'udp') return undefined;
  if (c.component !== 1) return undefined;
  if (isIP(c.ip) !== family) return undefined;
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) return undefined;
  const priority = Number.isFinite(c.priority) && c.priority > 0 ? c.priority : candidatePriority(c.type);
  return { host: c.ip, port: c.port, priority, type: c.type, foundation: c.foundation };
}

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Random ice-chars (RFC 8839 §5.4); 64 symbols, so a byte maps without bias via `& 63`. */
export function randomIceString(length: number): string {
  const bytes = randomBytes(length);
  let s = '';
  for (let i = 0; i < length; i++) s += ICE_CHARS[(bytes[i] as number) & 63];
  return s;
}

/** Fresh local credentials: 8-char ufrag (≥ 4 required), 24-char password (≥ 22 required). */
export function newIceCredentials(): { ufrag: string; pwd: string } {
  return { ufrag: randomIceString(8), pwd: randomIceString(24) };
}
