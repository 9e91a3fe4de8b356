/**
 * Waits for `work` at most `ms`; resolves true when it settled in time, false when the deadline
 * came first. The work is not cancelled (nothing generic can cancel it): the caller decides what
 * a late step means, typically moving on and letting it finish in the background.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
