import type { MediaConfig } from '../config/types.js';
import { PortAllocator, PortExhaustedError } from '../media/port-allocator.js';
import { errorCode } from './tcp-probe.js';
import { messageOf, ok, problem, type CheckOutcome } from './check.js';

/**
 * Binds every port of JIGASI_PORT_MIN..MAX on MEDIA_BIND_ADDRESS once, one at a time (a wide range
 * must not need as many file descriptors), through the allocator calls use. Ports held by other
 * processes (a running gateway's calls) are counted, not failed: only a range with no free port
 * at all, or an address that cannot be bound, is a problem.
 */
export async function checkMediaPorts(m: MediaConfig, signal: AbortSignal): Promise<CheckOutcome> {
  const range = `${m.portMin}-${m.portMax}`;
  const size = m.portMax - m.portMin + 1;
  const allocator = new PortAllocator({ min: m.portMin, max: m.portMax });
  const free = new Set<number>();
  try {
    while (free.size < size && !signal.aborted) {
      const bound = await allocator.bind(m.bindAddress);
      await bound.release();
      // Round-robin: the first port seen twice means every free port has been bound once.
      if (free.has(bound.port)) break;
      free.add(bound.port);
    }
  } catch (err) {
    if (err instanceof PortExhaustedError) {
      return problem(
        `no port of ${range} can be bound on ${m.bindAddress}: all in use`,
        'another process holds the whole range (a second gateway? FreeSWITCH?): give this gateway its own JIGASI_PORT_MIN / JIGASI_PORT_MAX',
      );
    }
    if (errorCode(err) === 'EADDRNOTAVAIL') {
      return problem(`cannot bind ${m.bindAddress}: not an address of this host`, 'set MEDIA_BIND_ADDRESS (or MEDIA_ADDRESS) to an address of this host; behind NAT, MEDIA_BIND_ADDRESS is the local one and MEDIA_ADDRESS the public one');
    }
    return problem(`binding ${m.bindAddress} in ${range}: ${messageOf(err)}`, 'choose a JIGASI_PORT_MIN..MAX range this user may bind (above 1024 unless running as root)');
  }
  const busy = size - free.size;
  return ok(`${free.size} of ${size} UDP ports in ${range} can be bound on ${m.bindAddress}${busy > 0 ? ` (${busy} in use by other sockets)` : ''}`);
}
