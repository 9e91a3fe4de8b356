/**
 * Preallocated storage for a jitter buffer: a ring of fixed-size payload slots in one arena plus
 * typed arrays for each slot's metadata, indexed by extended sequence number modulo capacity.
 * Storing copies the payload (the caller may reuse its datagram buffer); nothing is allocated
 * after construction except the payload view handed out by payload().
 */

const EMPTY = 0;
const FILLED = 1;
const PLAYED = 2;
const SKIPPED = 3; // declared missing or dropped without being played

export class FrameRing {
  readonly capacity: number;
  readonly maxPayload: number;
  readonly #arena: Uint8Array;
  readonly #seq: Float64Array;
  readonly #state: Uint8Array;
  readonly #len: Uint16Array;
  readonly #ts: Uint32Array;
  readonly #pt: Uint8Array;
  readonly #level: Int16Array;
  readonly #marker: Uint8Array;

  constructor(capacity: number, maxPayload: number) {
    this.capacity = capacity;
    this.maxPayload = maxPayload;
    // A Buffer, so that the payload views play() returns are Buffers too (the Opus binding takes those).
    this.#arena = Buffer.alloc(capacity * maxPayload);
    this.#seq = new Float64Array(capacity).fill(-1);
    this.#state = new Uint8Array(capacity);
    this.#len = new Uint16Array(capacity);
    this.#ts = new Uint32Array(capacity);
    this.#pt = new Uint8Array(capacity);
    this.#level = new Int16Array(capacity);
    this.#marker = new Uint8Array(capacity);
  }

  store(ext: number, ts: number, payload: Uint8Array, pt: number, marker: boolean, level: number): void {
    const slot = ext % this.capacity;
    this.#arena.set(payload, slot * this.maxPayload);
    this.#seq[slot] = ext;
    this.#state[slot] = FILLED;
    this.#len[slot] = payload.length;
    this.#ts[slot] = ts;
    this.#pt[slot] = pt;
    this.#level[slot] = level;
    this.#marker[slot] = marker ? 1 : 0;
  }

  /** Holds `ext`'s payload, not yet played. */
  isFilled(ext: number): boolean {
    const slot = ext % this.capacity;
    return this.#seq[slot] === ext && this.#state[slot] === FILLED;
  }

  /** `ext` was played (so another copy of it is a duplicate, not a late original). */
  wasPlayed(ext: number): boolean {
    const slot = ext % this.capacity;
    return this.#seq[slot] === ext && this.#state[slot] === PLAYED;
  }

  /** Marks `ext` played and returns a view of its payload (valid until the slot is reused). */
  play(ext: number): Uint8Array {
    const slot = ext % this.capacity;
    this.#state[slot] = PLAYED;
    const start = slot * this.maxPayload;
    return this.#arena.subarray(start, start + this.#len[slot]!);
  }

  /** Marks `ext` as gone without playing it; returns whether a stored payload was discarded. */
  skip(ext: number): boolean {
    const slot = ext % this.capacity;
    const hadPayload = this.#seq[slot] === ext && this.#state[slot] === FILLED;
    this.#seq[slot] = ext;
    this.#state[slot] = SKIPPED;
    return hadPayload;
  }

  /** Empties `ext`'s slot, as if nothing had happened to that frame. */
  forget(ext: number): void {
    const slot = ext % this.capacity;
    this.#seq[slot] = -1;
    this.#state[slot] = EMPTY;
  }

  clear(): void {
    this.#seq.fill(-1);
    this.#state.fill(EMPTY);
  }

  timestamp(ext: number): number {
    return this.#ts[ext % this.capacity]!;
  }

  payloadType(ext: number): number {
    return this.#pt[ext % this.capacity]!;
  }

  /** RFC 6464 level stored with the frame, -1 when unknown. */
  level(ext: number): number {
    return this.#level[ext % this.capacity]!;
  }

  marker(ext: number): boolean {
    return this.#marker[ext % this.capacity] === 1;
  }
}
