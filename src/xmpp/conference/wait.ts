export type WaitResult<T> = { kind: 'value'; value: T } | { kind: 'timeout' } | { kind: 'aborted' };

/**
 * Waits for `setup`'s settle callback, bounded by `timeoutMs` and by `signal`. The timer and the
 * subscription (setup's returned cleanup) are released however the wait ends, so a closed
 * session leaves nothing scheduled.
 */
export function waitFor<T>(
  setup: (settle: (value: T) => void) => () => void,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<WaitResult<T>> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ kind: 'aborted' });
      return;
    }
    let done = false;
    let cleanup: () => void = () => {};
    const finish = (result: WaitResult<T>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      cleanup();
      resolve(result);
    };
    const onAbort = (): void => finish({ kind: 'aborted' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = setup((value) => finish({ kind: 'value', value }));
    // setup may have settled synchronously, before cleanup was known.
    if (done) cleanup();
  });
}
