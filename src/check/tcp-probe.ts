import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface Endpoint {
  host: string;
  port: number;
}

/** Opens a TCP connection and closes it again; rejects with the socket error (code kept). */
export function tcpConnects(target: Endpoint, signal: AbortSignal): Promise<void> {
  return settleSocket(connect({ host: target.host, port: target.port }), 'connect', signal, () => undefined);
}

/**
 * Makes a TLS handshake as Node verifies it everywhere else (system CAs plus NODE_EXTRA_CA_CERTS),
 * naming `servername` (SNI and the name the certificate must carry); resolves with the peer's
 * certificate.
 */
export function tlsHandshake(target: Endpoint, servername: string, signal: AbortSignal): Promise<PeerCertificate> {
  const socket: TLSSocket = tlsConnect({ host: target.host, port: target.port, servername });
  return settleSocket(socket, 'secureConnect', signal, () => socket.getPeerCertificate());
}

/** Waits for `readyEvent`, reads what is wanted of the socket, and closes it. */
function settleSocket<T>(socket: Socket, readyEvent: string, signal: AbortSignal, read: () => T): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners(readyEvent);
    };
    const onAbort = (): void => {
      done();
      socket.destroy();
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort);
    socket.once(readyEvent, () => {
      done();
      const value = read();
      socket.destroy();
      resolve(value);
    });
    socket.once('error', (err) => {
      done();
      socket.destroy();
      reject(err);
    });
  });
}

/** The errno-style code of a socket or TLS error, e.g. ECONNREFUSED, ERR_TLS_CERT_ALTNAME_INVALID. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
