import { messageOf, problem, skipped, type CheckOutcome, type CheckResult, type CheckSpec } from './check.js';

/**
 * Runs every check at once, except that a check waits for the checks it needs (logging in needs
 * Prosody reachable; the registration needs drachtio-server). Each run is bounded by its own
 * timeout, so the whole self-check is bounded by the longest chain. Results come back in the
 * order of `specs`; a check that throws is a problem, never a crash of the self-check.
 */
export async function runChecks(specs: readonly CheckSpec[], now: () => number = Date.now): Promise<CheckResult[]> {
  const byName = new Map<string, Promise<CheckResult>>();
  const start = (spec: CheckSpec): Promise<CheckResult> => {
    const existing = byName.get(spec.name);
    if (existing !== undefined) return existing;
    const promise = (async (): Promise<CheckResult> => {
      const needed = await Promise.all((spec.needs ?? []).map((n) => startNeeded(n)));
      const t0 = now();
      const blocked = needed.filter((r) => r.status !== 'ok').map((r) => r.name);
      const outcome = blocked.length > 0 ? skipped(`needs ${blocked.join(', ')} first`) : await bounded(spec);
      return { name: spec.name, ...outcome, elapsedMs: now() - t0 };
    })();
    byName.set(spec.name, promise);
    return promise;
  };
  const startNeeded = (name: string): Promise<CheckResult> => {
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) throw new Error(`check '${name}' is needed but not defined`);
    return start(spec);
  };
  return Promise.all(specs.map(start));
}

async function bounded(spec: CheckSpec): Promise<CheckOutcome> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      resolve(problem(`no answer within ${spec.timeoutMs} ms`, spec.fixOnTimeout));
      abort.abort();
    }, spec.timeoutMs);
  });
  try {
    return await Promise.race([spec.run(abort.signal).catch((err: unknown) => fromError(err)), late]);
  } finally {
    clearTimeout(timer);
  }
}

function fromError(err: unknown): CheckOutcome {
  const fix = (err as { fix?: unknown } | null)?.fix;
  return problem(messageOf(err), typeof fix === 'string' ? fix : 'see the message; this looks like a bug of the self-check itself');
}
