import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MAX_CANDIDATES, PinStoreError, type PinStore } from './pin-store.js';

/**
 * The embedded PIN store: one SQLite file in MAPPER_DATA_DIR. UNIQUE constraints on both columns
 * make a PIN collision impossible even with two processes on the same file; an IMMEDIATE
 * transaction takes the write lock before reading, so two first requests for the same meeting
 * cannot both allocate. WAL with synchronous=NORMAL: a committed mapping survives the process
 * dying at any moment; only an OS crash can lose the last few, and then the next request
 * allocates a new PIN.
 */
export class SqlitePinStore implements PinStore {
  readonly #db: Database.Database;
  readonly #pinFor: (conference: string, now: number, ttlCutoff: number, candidate: () => string) => string;
  readonly #select: Database.Statement<[string, number], { conference: string }>;
  readonly #touchPin: Database.Statement<[number, string]>;
  readonly #sweep: Database.Statement<[number]>;

  /** `ttlMs` hides mappings older than that from reads even before a sweep removes them. */
  constructor(
    readonly path: string,
    private readonly ttlMs: number,
  ) {
    try {
      this.#db = new Database(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      // Another process holding the write lock (a second gateway on the same file) is waited for.
      this.#db.pragma('busy_timeout = 5000');
      this.#db.exec(`CREATE TABLE IF NOT EXISTS pins (
        pin TEXT PRIMARY KEY,
        conference TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        used_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS pins_used_at ON pins(used_at);`);
    } catch (err) {
      throw new PinStoreError(`cannot open the PIN store ${path}: ${(err as Error).message}`, { cause: err });
    }
    const byConference = this.#db.prepare<[string], { pin: string; used_at: number }>('SELECT pin, used_at FROM pins WHERE conference = ?');
    const touchConference = this.#db.prepare<[number, string]>('UPDATE pins SET used_at = ? WHERE conference = ?');
    const dropConference = this.#db.prepare<[string]>('DELETE FROM pins WHERE conference = ?');
    const dropExpiredPin = this.#db.prepare<[string, number]>('DELETE FROM pins WHERE pin = ? AND used_at < ?');
    const insert = this.#db.prepare<[string, string, number, number]>(
      'INSERT OR IGNORE INTO pins (pin, conference, created_at, used_at) VALUES (?, ?, ?, ?)',
    );
    const allocate = this.#db.transaction((conference: string, now: number, cutoff: number, candidate: () => string): string => {
      const row = byConference.get(conference);
      if (row !== undefined && row.used_at >= cutoff) {
        touchConference.run(now, conference);
        return row.pin;
      }
      if (row !== undefined) dropConference.run(conference);
      for (let i = 0; i < MAX_CANDIDATES; i++) {
        const pin = candidate();
        // An expired holder of this PIN is gone for good: its PIN may start a new life.
        dropExpiredPin.run(pin, cutoff);
        if (insert.run(pin, conference, now, now).changes === 1) return pin;
      }
      throw new PinStoreError(`no free PIN after ${MAX_CANDIDATES} tries: the PIN space is nearly full (raise MAPPER_PIN_DIGITS)`);
    });
    this.#pinFor = (conference, now, cutoff, candidate) => allocate.immediate(conference, now, cutoff, candidate);
    this.#select = this.#db.prepare('SELECT conference FROM pins WHERE pin = ? AND used_at >= ?');
    this.#touchPin = this.#db.prepare('UPDATE pins SET used_at = ? WHERE pin = ?');
    this.#sweep = this.#db.prepare('DELETE FROM pins WHERE used_at < ?');
  }

  /** Opens (creating the directory and the file if needed) `<dir>/conference-mapper.sqlite`. */
  static open(dataDir: string, ttlMs: number): SqlitePinStore {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      throw new PinStoreError(`cannot create MAPPER_DATA_DIR ${dataDir}: ${(err as Error).message}`, { cause: err });
    }
    return new SqlitePinStore(join(dataDir, 'conference-mapper.sqlite'), ttlMs);
  }

  async pinFor(conference: string, now: number, candidate: () => string): Promise<string> {
    return this.#guard(() => this.#pinFor(conference, now, now - this.ttlMs, candidate));
  }

  async conferenceFor(pin: string, now: number): Promise<string | undefined> {
    return this.#guard(() => {
      const row = this.#select.get(pin, now - this.ttlMs);
      if (row === undefined) return undefined;
      this.#touchPin.run(now, pin);
      return row.conference;
    });
  }

  async sweep(cutoff: number): Promise<number> {
    return this.#guard(() => this.#sweep.run(cutoff).changes);
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof PinStoreError) throw err;
      throw new PinStoreError(`PIN store: ${(err as Error).message}`, { cause: err });
    }
  }
}
