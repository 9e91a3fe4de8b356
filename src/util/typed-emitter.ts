import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose event names and payloads are checked by the compiler, and whose emit
 * survives a throwing listener: a bug in one subscriber must not break the emitter's own state
 * machine (for example a call's teardown sequence).
 */
export type EventMap = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<E extends EventMap> {
  readonly #ee = new EventEmitter({ captureRejections: false });
  #onListenerError: (event: string, err: unknown) => void = () => {};

  constructor() {
    this.#ee.setMaxListeners(50);
  }

  /** Where listener exceptions go (usually a logger). */
  onListenerError(handler: (event: string, err: unknown) => void): void {
    this.#onListenerError = handler;
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  removeAllListeners(): void {
    this.#ee.removeAllListeners();
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  /** Calls every listener; an exception in one is reported and the others still run. */
  emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const listeners = this.#ee.rawListeners(event) as Array<(...a: unknown[]) => void>;
    for (const l of listeners) {
      try {
        // rawListeners keeps `once` wrappers, which remove themselves when called.
        l.apply(this, args);
      } catch (err) {
        try {
          this.#onListenerError(event, err);
        } catch {
          /* the error reporter itself failed; nothing sensible left to do */
        }
      }
    }
    return listeners.length > 0;
  }

  /** Resolves with the payload of the next `event`, or rejects after `timeoutMs`. */
  waitFor<K extends keyof E & string>(event: K, timeoutMs: number): Promise<E[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off(event, onEvent);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
      }, timeoutMs);
      const onEvent = (...args: E[K]): void => {
        clearTimeout(timer);
        resolve(args);
      };
      this.once(event, onEvent);
    });
  }
}
