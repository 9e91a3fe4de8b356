/**
 * The vocabulary of the self-check (`npm run check`, `node dist/main.js --check`): each check tests
 * one dependency for real and ends ok, problem (with the fix in words) or skipped (with why).
 */

export type CheckStatus = 'ok' | 'problem' | 'skipped';

export interface CheckOutcome {
  status: CheckStatus;
  /** What was found: the address reached, the account logged in, the error seen. */
  detail: string;
  /** What the operator should change, in words; set on every problem. */
  fix?: string;
}

export interface CheckResult extends CheckOutcome {
  name: string;
  elapsedMs: number;
}

/** A failed check, thrown from inside a check: carries the fix along with what went wrong. */
export class CheckProblem extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'CheckProblem';
  }
}

export interface CheckSpec {
  /** Short id printed at the start of the line, e.g. `xmpp-login`. */
  readonly name: string;
  /** Checks that must end ok first; when one does not, this one is skipped, naming it. */
  readonly needs?: readonly string[];
  /** Bound of run(); past it the check is a problem whose fix is `fixOnTimeout`. */
  readonly timeoutMs: number;
  readonly fixOnTimeout: string;
  /** `signal` aborts at the timeout: drop whatever is still open (sockets, sessions). */
  run(signal: AbortSignal): Promise<CheckOutcome>;
}

export const ok = (detail: string): CheckOutcome => ({ status: 'ok', detail });
export const skipped = (detail: string): CheckOutcome => ({ status: 'skipped', detail });
export const problem = (detail: string, fix: string): CheckOutcome => ({ status: 'problem', detail, fix });

/** The text of whatever was thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
