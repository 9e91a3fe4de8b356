import type { Logger } from '../../log.js';
import type { Client } from '../connection.js';
import { canResume, reopenStream } from './reopen-stream.js';
import { rideThrough } from './ride-through.js';
import type { JoinOutcome } from './types.js';

/** What getting back into the room after a lost connection needs from the conference session. */
export interface OutagePort {
  /** The session's connection, while it has one. */
  client(): Client | undefined;
  /** No recovery once the session closes, nor while it waits in a lobby. */
  mayRecover(): boolean;
  /** XMPP_RECONNECT_WINDOW; 0 turns recovery off. */
  windowMs: number;
  attemptTimeoutMs: number;
  focusReady(timeoutMs: number): Promise<boolean>;
  rejoin(): Promise<JoinOutcome>;
  /** Out of every room without telling them (the stream that held them is gone). */
  dropRooms(): void;
  /** Ends the session's waits for good (recovery failed). */
  giveUp(): void;
  reconnecting(resumable: boolean): void;
  roomLost(): void;
  reconnected(resumed: boolean): void;
  failed(detail: string): void;
  log: Logger;
}

/**
 * Rides a conference session through a lost connection (a Prosody restart): resume the stream
 * where the server kept it, else log in again, ask the focus again and rejoin with the same nick,
 * within the window. One recovery at a time; abort() (the session closing) ends it.
 */
export class OutageRecovery {
  #outage: AbortController | undefined;

  constructor(private readonly port: OutagePort) {}

  /** A recovery is under way: a further drop belongs to it. */
  get active(): boolean {
    return this.#outage !== undefined;
  }

  /** Starts recovering; false when this session does not (see OutagePort.mayRecover, windowMs). */
  start(wasInRoom: boolean): boolean {
    const p = this.port;
    const client = p.client();
    // Only a call settled in its room rides through; one still joining or in the lobby ends.
    if (client === undefined || p.windowMs <= 0 || !wasInRoom || !p.mayRecover()) return false;
    if (this.#outage) return true;
    this.#outage = new AbortController();
    void this.#run(client, this.#outage.signal);
    return true;
  }

  abort(): void {
    this.#outage?.abort();
  }

  async #run(client: Client, signal: AbortSignal): Promise<void> {
    const p = this.port;
    const resumable = canResume(client);
    p.log.warn({ windowMs: p.windowMs, resumable }, 'conference connection lost; reconnecting');
    p.reconnecting(resumable);
    const result = await rideThrough(
      {
        online: () => client.status === 'online',
        reopen: (timeoutMs, s) => reopenStream(client, timeoutMs, s),
        roomLost: () => {
          p.dropRooms();
          p.roomLost();
        },
        focusReady: (timeoutMs) => p.focusReady(timeoutMs),
        rejoin: () => p.rejoin(),
      },
      { windowMs: p.windowMs, attemptTimeoutMs: p.attemptTimeoutMs, signal, logger: p.log },
    );
    this.#outage = undefined;
    if (result.kind === 'failed') {
      p.log.warn({ detail: result.detail }, 'conference reconnect failed');
      p.giveUp();
      p.dropRooms();
      p.failed(result.detail);
    } else if (result.kind !== 'aborted') {
      p.reconnected(result.kind === 'resumed');
    }
  }
}
