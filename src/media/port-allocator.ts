import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP, isIPv6 } from 'node:net';

/**
 * Hands out UDP sockets bound inside a configured port range (JIGASI_PORT_MIN..MAX), so that
 * operators can open exactly that range in their firewall. Used for the bridge transport and for
 * the caller-side RTP endpoint alike.
 *
 * Ports are tried round-robin from where the last allocation stopped: a port released a moment
 * ago is the last one to be reused, which keeps late packets of a finished call from landing in
 * the next one. Ports held by other processes are skipped (bind fails with EADDRINUSE).
 *
 * A range of `min = max = 0` means "any port": the kernel picks one (tests use this).
 */
export interface PortRange {
  min: number;
  max: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { min: 20000, max: 20050 };

export interface BoundUdpSocket {
  readonly socket: dgram.Socket;
  readonly address: string;
  readonly port: number;
  /** Closes the socket and returns the port to the pool. Idempotent. */
  release(): Promise<void>;
}

/** Every port of the range is taken: the call cannot get media now, and the phone is told 503. */
export class PortExhaustedError extends Error {
  readonly metricLabel = 'port_exhausted';
  readonly sipStatus = 503;
  constructor(range: PortRange, address: string) {
    super(`no free UDP port in ${range.min}-${range.max} on ${address}`);
    this.name = 'PortExhaustedError';
  }
}

export class PortAllocator {
  readonly range: PortRange;
  readonly #held = new Set<number>();
  #cursor: number;

  /** `firstPort`: where the round-robin starts (media workers sharing a range start apart). */
  constructor(range: PortRange = DEFAULT_PORT_RANGE, firstPort?: number) {
    const anyPort = range.min === 0 && range.max === 0;
    if (!anyPort) {
      if (!Number.isInteger(range.min) || !Number.isInteger(range.max)) {
        throw new RangeError(`port range must be integers, got ${range.min}-${range.max}`);
      }
      if (range.min < 1 || range.max > 65535 || range.min > range.max) {
        throw new RangeError(`invalid port range ${range.min}-${range.max}`);
      }
    }
    this.range = { min: range.min, max: range.max };
    this.#cursor = firstPort !== undefined && firstPort >= range.min && firstPort <= range.max ? firstPort : range.min;
  }

  /** Number of ports currently handed out by this allocator. */
  get inUse(): number {
    return this.#held.size;
  }

  get anyPort(): boolean {
    return this.range.min === 0 && this.range.max === 0;
  }

  /** Binds a UDP socket on `address` at the next free port of the range. */
  async bind(address: string): Promise<BoundUdpSocket> {
    if (this.anyPort) {
      const socket = await bindSocket(address, 0);
      return this.#wrap(socket, address, undefined);
    }
    const size = this.range.max - this.range.min + 1;
    for (let tried = 0; tried < size; tried++) {
      const port = this.#cursor;
      this.#cursor = port >= this.range.max ? this.range.min : port + 1;
      if (this.#held.has(port)) continue;
      // Reserve before the await so that concurrent bind() calls never race for the same port.
      this.#held.add(port);
      try {
        const socket = await bindSocket(address, port);
        return this.#wrap(socket, address, port);
      } catch (err) {
        this.#held.delete(port);
        if (!isPortBusy(err)) throw err;
      }
    }
    throw new PortExhaustedError(this.range, address);
  }

  /**
   * A socket for something a call can do without (the phone's RTCP): `preferred` when it is free,
   * else any port, but never the range's last free one, which a call still needs for its media.
   * Undefined when there is no such port.
   */
  async bindSpare(address: string, preferred: number): Promise<BoundUdpSocket | undefined> {
    if (this.anyPort) {
      const socket = (await bindSocket(address, preferred).catch(() => undefined)) ?? (await bindSocket(address, 0));
      return this.#wrap(socket, address, undefined);
    }
    if (this.#held.size + 2 > this.range.max - this.range.min + 1) return undefined;
    if (preferred >= this.range.min && preferred <= this.range.max && !this.#held.has(preferred)) {
      this.#held.add(preferred);
      try {
        return this.#wrap(await bindSocket(address, preferred), address, preferred);
      } catch (err) {
        this.#held.delete(preferred);
        if (!isPortBusy(err)) throw err;
      }
    }
    try {
      return await this.bind(address);
    } catch (err) {
      if (err instanceof PortExhaustedError) return undefined;
      throw err;
    }
  }

  #wrap(socket: dgram.Socket, address: string, heldPort: number | undefined): BoundUdpSocket {
    let released: Promise<void> | undefined;
    const port = socket.address().port;
    return {
      socket,
      address,
      port,
      release: () => {
        released ??= closeSocket(socket).finally(() => {
          if (heldPort !== undefined) this.#held.delete(heldPort);
        });
        return released;
      },
    };
  }
}

function isPortBusy(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

/**
 * Media sockets send to IP addresses (from SDP, ICE candidates or a latched source): answering
 * the "lookup" of an address literal at once spares every packet the DNS module's deferred
 * callback, which dgram.send() otherwise goes through even then. A name still goes to DNS.
 */
function lookupLiteral(address: string, options: dns.LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(address);
  if (family === 0) dns.lookup(address, options, callback);
  else callback(null, address, family);
}

function bindSocket(address: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false, lookup: lookupLiteral });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING): nothing left to free.
      resolve();
    }
  });
}
