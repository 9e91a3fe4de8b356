import type { Logger } from '../../log.js';
import { Backoff } from '../../util/backoff.js';
import type { ReopenResult } from './reopen-stream.js';
import type { JoinOutcome } from './types.js';
import { waitFor } from './wait.js';

/** What the loop needs from the session; every method is bounded by the timeout it is given. */
export interface RideThroughPort {
  /** Whether the stream is up (it can drop again while we rejoin). */
  online(): boolean;
  /** A new stream on the same client: 'resumed' keeps everything, 'fresh' means rejoining. */
  reopen(timeoutMs: number, signal: AbortSignal): Promise<ReopenResult>;
  /** The old stream is gone for good: its room occupancy and Jingle session with it. Called once. */
  roomLost(): void;
  /** The conference IQ; true when the focus answers ready (Jicofo is back and hosts the room). */
  focusReady(timeoutMs: number): Promise<boolean>;
  /** Enters the room again with the same nick and presence. */
  rejoin(): Promise<JoinOutcome>;
}

export type RideThroughResult =
  | { kind: 'resumed' }
  | { kind: 'rejoined' }
  | { kind: 'failed'; detail: string }
  | { kind: 'aborted' };

export interface RideThroughOptions {
  windowMs: number;
  /** Bound on one attempt at each step (connect, focus answer). */
  attemptTimeoutMs: number;
  signal: AbortSignal;
  logger: Logger;
  /** First retry delay and ceiling; short, so a server that is back is found within ~2 s. */
  backoff?: Backoff;
}

/** Join refusals that a retry cannot change: the room now wants something the call cannot give. */
const FINAL_REFUSALS: ReadonlySet<JoinOutcome['kind']> = new Set(['lobby', 'password-required', 'banned', 'room-full']);

/**
 * Gets a conference session back into its room after its connection dropped (a Prosody restart,
 * a network cut): reopen the stream (XEP-0198 resumption when the server still has our session),
 * otherwise ask the focus for the conference again until it is ready and rejoin with the same
 * nick. Each step is retried with backoff until `windowMs` has passed since the drop.
 */
export async function rideThrough(port: RideThroughPort, o: RideThroughOptions): Promise<RideThroughResult> {
  const deadline = Date.now() + o.windowMs;
  const backoff = o.backoff ?? new Backoff(250, 2000);
  let lost = false;
  // Still connected: the room let us go (status 333) before the stream went, if it goes at all.
  let step: 'connect' | 'focus' | 'join' = port.online() ? 'focus' : 'connect';
  if (step === 'focus') {
    lost = true;
    port.roomLost();
  }
  let lastProblem = 'connection lost';
  const markLost = (): void => {
    if (lost) return;
    lost = true;
    port.roomLost();
  };

  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) return { kind: 'aborted' };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { kind: 'failed', detail: `not back within ${o.windowMs} ms: ${lastProblem}` };
    const bound = Math.min(remaining, o.attemptTimeoutMs);
    if (step !== 'connect' && !port.online()) step = 'connect';
    try {
      if (step === 'connect') {
        const how = await port.reopen(bound, o.signal);
        if (how === 'resumed' && !lost) {
          o.logger.info({ attempt }, 'conference stream resumed');
          return { kind: 'resumed' };
        }
        markLost();
        o.logger.info({ attempt }, 'conference connection back; rejoining the room');
        step = 'focus';
      }
      if (step === 'focus') {
        if (!(await port.focusReady(bound))) throw new Error('the focus is not ready');
        step = 'join';
      }
      const outcome = await port.rejoin();
      if (outcome.kind === 'joined') return { kind: 'rejoined' };
      if (FINAL_REFUSALS.has(outcome.kind)) return { kind: 'failed', detail: `rejoin refused: ${outcome.kind}` };
      throw new Error(`rejoin failed: ${outcome.kind === 'error' ? outcome.condition : outcome.kind}`);
    } catch (err) {
      if (o.signal.aborted) return { kind: 'aborted' };
      lastProblem = err instanceof Error ? err.message : String(err);
      const delay = Math.min(backoff.next(), Math.max(0, deadline - Date.now()));
      o.logger.debug({ attempt, step, delayMs: delay, problem: lastProblem }, 'conference reconnect attempt failed');
      const slept = await waitFor<never>(() => () => undefined, delay, o.signal);
      if (slept.kind === 'aborted') return { kind: 'aborted' };
    }
  }
}
