/**
 * Waiting primitives for tests: every wait has a timeout, and close() rejects whatever is still
 * waiting and clears its timers so a failed test leaves nothing behind.
 */

interface Waiter<T> {
  match: (item: T) => boolean;
  resolve: (item: T) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** Items arrive in order; each take() consumes the first unconsumed item that matches. */
export class Mailbox<T> {
  readonly #items: T[] = [];
  readonly #taken = new Set<T>();
  readonly #waiters = new Set<Waiter<T>>();
  #closed: Error | undefined;

  push(item: T): void {
    this.#items.push(item);
    for (const w of this.#waiters) {
      if (!this.#taken.has(item) && w.match(item)) {
        this.#taken.add(item);
        this.#settle(w);
        w.resolve(item);
      }
    }
  }

  get items(): readonly T[] {
    return this.#items;
  }

  /** Drops what was received so far (long-running tests measuring their own memory). */
  forget(): void {
    this.#items.length = 0;
    this.#taken.clear();
  }

  take(match: (item: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    const found = this.#items.find((i) => !this.#taken.has(i) && match(i));
    if (found !== undefined) {
      this.#taken.add(found);
      return Promise.resolve(found);
    }
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<T>((resolve, reject) => {
      const w: Waiter<T> = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#settle(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs),
      };
      this.#waiters.add(w);
    });
  }

  close(reason: Error): void {
    this.#closed = reason;
    for (const w of [...this.#waiters]) {
      this.#settle(w);
      w.reject(reason);
    }
  }

  #settle(w: Waiter<T>): void {
    clearTimeout(w.timer);
    this.#waiters.delete(w);
  }
}

/** Waits for a condition over mutable state; call changed() after every mutation. */
export class Conditions {
  readonly #waiters = new Set<{ check: () => boolean; resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w = {
        check,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(w);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs),
      };
      this.#waiters.add(w);
    });
  }

  changed(): void {
    for (const w of [...this.#waiters]) {
      if (w.check()) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve();
      }
    }
  }

  close(reason: Error): void {
    for (const w of [...this.#waiters]) {
      clearTimeout(w.timer);
      this.#waiters.delete(w);
      w.reject(reason);
    }
  }
}
