import { networkInterfaces } from 'node:os';
import type { MediaConfig } from '../config/types.js';
import { ok, problem, type CheckOutcome } from './check.js';

export type InterfaceAddresses = () => string[];

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

/**
 * MEDIA_ADDRESS goes into SDP and ICE candidates: phones and the bridge send RTP there. It must be
 * an address of this host, unless MEDIA_BIND_ADDRESS says media binds elsewhere (NAT: the public
 * address announced, the local one bound); then the bind address must be local instead.
 */
export function checkMediaAddress(m: MediaConfig, addresses: InterfaceAddresses = hostAddresses): CheckOutcome {
  const local = addresses();
  const list = local.join(', ');
  if (m.bindAddress !== m.address) {
    if (m.bindAddress !== '0.0.0.0' && !local.includes(m.bindAddress)) {
      return problem(`MEDIA_BIND_ADDRESS ${m.bindAddress} is not an address of this host (it has ${list})`, 'set MEDIA_BIND_ADDRESS to one of these addresses');
    }
    return ok(`media binds ${m.bindAddress} and announces ${m.address} (NAT: the address must forward JIGASI_PORT_MIN..MAX/udp here)`);
  }
  if (!local.includes(m.address)) {
    return problem(
      `MEDIA_ADDRESS ${m.address} is not an address of this host (it has ${list})`,
      'set MEDIA_ADDRESS to the address phones and the bridge reach this host at; behind NAT, also set MEDIA_BIND_ADDRESS to the local address it forwards to',
    );
  }
  if (m.address.startsWith('127.')) {
    return ok(`${m.address} is a loopback address: only peers on this host can reach the media (fine for tests, not for phones)`);
  }
  return ok(`${m.address} is an address of this host`);
}
