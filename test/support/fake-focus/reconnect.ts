/**
 * Makes the fake focus come back after a Prosody restart, as Jicofo does: its client reconnects
 * by itself (same account and resource, so the same JID the gateway sends conference IQs to),
 * and each time it is online again it hosts the given rooms again.
 */
import type { FakeFocus } from '../fake-focus.js';

export interface FocusReconnect {
  /** Resolves when the focus is online and back in its rooms after the next reconnect. */
  back(): Promise<void>;
  stop(): void;
}

export function reconnectLikeJicofo(focus: FakeFocus, rooms: () => readonly string[], delayMs = 100): FocusReconnect {
  const client = focus.client;
  let waiters: Array<() => void> = [];
  const onOnline = (): void => {
    void Promise.all(rooms().map((room) => focus.hostRoom(room)))
      .catch(() => undefined)
      .then(() => {
        for (const w of waiters.splice(0)) w();
      });
  };
  client.reconnect.delay = delayMs;
  client.reconnect.start();
  client.on('online', onOnline);
  return {
    back: () => new Promise<void>((resolve) => waiters.push(resolve)),
    stop: () => {
      client.reconnect.stop();
      client.off('online', onOnline);
      waiters = [];
    },
  };
}
