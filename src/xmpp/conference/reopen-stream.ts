import type { Client } from '../connection.js';
import { waitFor } from './wait.js';

export type ReopenResult = 'resumed' | 'fresh';

/** The library's stream-management state is an EventEmitter at run time; its typings omit that. */
interface StreamManagementEvents {
  id: string;
  on(event: 'resumed', listener: () => void): unknown;
  off(event: 'resumed', listener: () => void): unknown;
}

/** Whether the server granted XEP-0198 resumption on the stream that was lost. */
export function canResume(client: Client): boolean {
  return (client.streamManagement as unknown as StreamManagementEvents).id !== '';
}

/**
 * Opens a new stream on a client whose connection was lost, keeping its handlers. @xmpp/client
 * logs in again and, when the lost stream had XEP-0198 enabled, asks to resume it: 'resumed'
 * means the server kept our session (rooms, occupant, pending stanzas), 'fresh' a new session
 * with the same resource (the server restarted, or refused the resumption). Throws when the
 * server cannot be reached or the login fails; the half-open socket is dropped first.
 */
export async function reopenStream(client: Client, timeoutMs: number, signal: AbortSignal): Promise<ReopenResult> {
  const sm = client.streamManagement as unknown as StreamManagementEvents;
  const outcome = await waitFor<ReopenResult | Error>(
    (settle) => {
      const onOnline = (): void => settle('fresh');
      const onResumed = (): void => settle('resumed');
      const onError = (err: unknown): void => settle(err instanceof Error ? err : new Error(String(err)));
      client.on('online', onOnline);
      client.on('error', onError);
      sm.on('resumed', onResumed);
      const { service, domain, lang } = client.options;
      (async () => {
        await client.connect(service ?? '');
        await client.open({ domain: domain ?? '', ...(lang !== undefined ? { lang } : {}) });
      })().catch(onError);
      return () => {
        client.off('online', onOnline);
        client.off('error', onError);
        sm.off('resumed', onResumed);
      };
    },
    timeoutMs,
    signal,
  );
  if (outcome.kind === 'value' && typeof outcome.value === 'string') return outcome.value;
  dropSocket(client);
  if (outcome.kind === 'value') throw outcome.value;
  throw new Error(outcome.kind === 'timeout' ? `no session within ${timeoutMs} ms` : 'aborted');
}

function dropSocket(client: Client): void {
  const socket = (client as { socket?: { destroy?: () => void } | null }).socket;
  socket?.destroy?.();
}
