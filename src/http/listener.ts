import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on host:port; resolves with where it listens, rejects if it cannot bind. */
export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

/** Where `server` listens, while it does. */
export function listeningAddress(server: Server | undefined): AddressInfo | undefined {
  const a = server?.address();
  return a !== null && typeof a === 'object' ? a : undefined;
}

/** Closes `server` with its open connections (keep-alives must not hold a shutdown). */
export async function closeServer(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
