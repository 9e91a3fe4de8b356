/**
 * Sliding replay window over 48-bit SRTP packet indexes (RFC 3711 §3.3.2). 128 entries: wide
 * enough for the reordering seen on real networks, small enough to stay in a cache line or two.
 */
const WINDOW = 128;

export class ReplayWindow {
  #highest = -1;
  readonly #seen = new Uint8Array(WINDOW);

  get highest(): number {
    return this.#highest;
  }

  /** True when `index` was not received yet and is not too old to tell. */
  isFresh(index: number): boolean {
    if (index > this.#highest) return true;
    if (this.#highest - index >= WINDOW) return false;
    return this.#seen[index % WINDOW] === 0;
  }

  /** Marks `index` received; call only after the packet authenticated. */
  accept(index: number): void {
    if (index > this.#highest) {
      const advance = this.#highest < 0 ? WINDOW : index - this.#highest;
      if (advance >= WINDOW) {
        this.#seen.fill(0);
      } else {
        for (let i = this.#highest + 1; i < index; i++) this.#seen[i % WINDOW] = 0;
      }
      this.#highest = index;
    }
    this.#seen[index % WINDOW] = 1;
  }
}
