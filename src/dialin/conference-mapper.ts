import type { Logger } from '../log.js';
import { InvalidRoomError, normalizeRoom } from '../sip/admission/room-target.js';
import type { PinLookup } from '../sip/pin/conference-mapper.js';
import { randomPin } from './pin-generator.js';
import type { PinStore } from './pin-store.js';

/** A `conference` parameter that names no meeting: the HTTP layer answers 400. */
export class BadConferenceError extends Error {
  readonly httpStatus = 400;
  readonly metricLabel = 'client_error';
  constructor(message: string) {
    super(message);
    this.name = 'BadConferenceError';
  }
}

export interface BuiltinMapperOptions {
  store: PinStore;
  /** Digits of a new PIN (MAPPER_PIN_DIGITS). */
  pinDigits: number;
  /** Unused mappings older than this are swept, ms (MAPPER_TTL_DAYS). */
  ttlMs: number;
  /** MUC domain for a conference given without one (XMPP_MUC_DOMAIN). */
  mucDomain: string;
  logger: Logger;
  /** Clock in ms; tests pass their own to expire mappings without waiting. */
  now?: () => number;
  /** PIN source; tests pass a fixed sequence to force collisions. */
  candidate?: () => string;
}

const SWEEP_EVERY_MS = 3_600_000;

/**
 * The built-in conference mapper: meeting ↔ PIN over a PinStore. The web side asks for a
 * meeting's PIN (allocated on first request, the same one every time after); the PIN prompt asks
 * the other way, directly, with no HTTP in between. Both count as use, so a meeting that keeps
 * being opened or dialled keeps its PIN.
 */
export class BuiltinConferenceMapper implements PinLookup {
  readonly pinLength: number;
  readonly #o: BuiltinMapperOptions;
  readonly #now: () => number;
  readonly #candidate: () => string;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(opts: BuiltinMapperOptions) {
    this.#o = opts;
    this.pinLength = opts.pinDigits;
    this.#now = opts.now ?? Date.now;
    this.#candidate = opts.candidate ?? (() => randomPin(opts.pinDigits));
  }

  /** The meeting JID as the store keys it: lower case, with a MUC domain. Throws BadConferenceError. */
  normalize(conference: string): string {
    try {
      return normalizeRoom(conference, this.#o.mucDomain);
    } catch (err) {
      if (err instanceof InvalidRoomError) throw new BadConferenceError(err.message);
      throw err;
    }
  }

  /** The meeting's PIN, allocated on first request. Throws BadConferenceError or PinStoreError. */
  async pinFor(conference: string): Promise<{ conference: string; pin: string }> {
    const jid = this.normalize(conference);
    const pin = await this.#o.store.pinFor(jid, this.#now(), this.#candidate);
    return { conference: jid, pin };
  }

  async roomForPin(pin: string): Promise<string | undefined> {
    if (!/^\d{1,20}$/.test(pin)) return undefined;
    return this.#o.store.conferenceFor(pin, this.#now());
  }

  /** Sweeps expired mappings now and then every hour (SQLite; Redis expires keys itself). */
  startSweeper(): void {
    const sweep = (): void => {
      this.#o.store.sweep(this.#now() - this.#o.ttlMs).then(
        (n) => n > 0 && this.#o.logger.info({ expired: n }, 'forgot meeting PINs nobody used within MAPPER_TTL_DAYS'),
        (err: unknown) => this.#o.logger.warn({ err }, 'PIN store sweep failed'),
      );
    };
    sweep();
    this.#sweeper = setInterval(sweep, SWEEP_EVERY_MS).unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#o.store.close();
  }
}
