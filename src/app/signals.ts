/**
 * The one owner of process signals. SIGTERM starts a graceful drain; SIGINT, or any second
 * signal, stops at once (calls hung up cleanly). Nothing else in the process installs signal
 * handlers or calls process.exit.
 */
export interface SignalSource {
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export interface ShutdownActions {
  /** Stop taking calls, wait for them to end (bounded); resolves when it is safe to exit. */
  drain(): Promise<void>;
  /** Hang up everything now and release resources. */
  stopNow(): Promise<void>;
  /** Called once, last, with the exit code. */
  exit(code: number): void;
}

export class SignalHandler {
  #phase: 'running' | 'draining' | 'stopping' = 'running';
  readonly #onTerm = (): void => this.#signal('SIGTERM');
  readonly #onInt = (): void => this.#signal('SIGINT');

  constructor(
    private readonly source: SignalSource,
    private readonly actions: ShutdownActions,
    private readonly log: (msg: string) => void,
  ) {
    source.on('SIGTERM', this.#onTerm);
    source.on('SIGINT', this.#onInt);
  }

  get phase(): 'running' | 'draining' | 'stopping' {
    return this.#phase;
  }

  /** Also used by POST /about/shutdown: the same path as SIGTERM. */
  requestDrain(): void {
    if (this.#phase !== 'running') return;
    this.#phase = 'draining';
    this.log('graceful shutdown: no new calls, waiting for calls to end');
    this.actions.drain().then(
      () => this.#finish(0),
      (err: unknown) => {
        this.log(`drain failed: ${(err as Error).message}`);
        void this.#stop(1);
      },
    );
  }

  #signal(sig: 'SIGTERM' | 'SIGINT'): void {
    if (sig === 'SIGTERM' && this.#phase === 'running') {
      this.requestDrain();
      return;
    }
    if (this.#phase === 'stopping') {
      this.log(`${sig} again while stopping; still hanging up`);
      return;
    }
    this.log(`${sig}: stopping now`);
    void this.#stop(0);
  }

  async #stop(code: number): Promise<void> {
    this.#phase = 'stopping';
    try {
      await this.actions.stopNow();
    } catch (err) {
      this.log(`stop failed: ${(err as Error).message}`);
      code = 1;
    }
    this.#finish(code);
  }

  #done = false;
  #finish(code: number): void {
    if (this.#done) return;
    this.#done = true;
    this.source.off('SIGTERM', this.#onTerm);
    this.source.off('SIGINT', this.#onInt);
    this.actions.exit(code);
  }
}
