/**
 * A logger for end-to-end harnesses that keeps the gateway's last warnings in memory, so a failed
 * check can say why the gateway ended a call (its close cause) without a full log run (E2E_LOG).
 */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log.js';

const KEEP_LINES = 200;

export class RecentLog {
  readonly #lines: string[] = [];
  readonly logger: Logger;

  constructor(level = 'warn') {
    const lines = this.#lines;
    const sink = new Writable({
      write(chunk: Buffer, _enc, done): void {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line === '') continue;
          lines.push(line);
          if (lines.length > KEEP_LINES) lines.shift();
        }
        done();
      },
    });
    this.logger = createLogger({ level, destination: sink });
  }

  /** The kept lines that contain `needle` (all of them without one), oldest first. */
  lines(needle?: string): string[] {
    return needle === undefined ? [...this.#lines] : this.#lines.filter((l) => l.includes(needle));
  }

  /** The last `count` lines mentioning `needle`, for an error message. */
  tail(needle?: string, count = 20): string {
    const shown = this.lines(needle).slice(-count);
    return shown.length === 0 ? '(no warnings logged)' : shown.join('\n');
  }
}
