/**
 * Mix-minus for one room at one sample rate. Every tick each source (a remote speaker decoded once
 * for the whole room, or a local caller's own frame) sets its frame; each listener then gets the
 * sum of every source except its own. The full sum is computed once into an Int32Array and each
 * listener's output is that sum minus its own frame, clamped to int16: O(sources + listeners) per
 * tick rather than O(listeners × sources). Because the subtraction happens before clamping, a
 * listener never hears any trace of itself even when the room's total saturates.
 */

interface SourceSlot {
  readonly pcm: Int16Array;
  /** Tick in which pcm was last set; stale frames count as silence. */
  tick: number;
}

export class RoomMixer {
  readonly frameSamples: number;
  readonly #sources = new Map<string, SourceSlot>();
  readonly #sum: Int32Array;
  #tick = 1;
  #sumTick = 0;
  #active = 0;

  constructor(frameSamples: number) {
    this.frameSamples = frameSamples;
    this.#sum = new Int32Array(frameSamples);
  }

  /**
   * Sets `sourceId`'s frame for this tick (copied; shorter frames are padded with silence). The
   * first call for a source allocates its buffer, later ones reuse it.
   */
  setFrame(sourceId: string, pcm: Int16Array): void {
    let slot = this.#sources.get(sourceId);
    if (!slot) {
      slot = { pcm: new Int16Array(this.frameSamples), tick: 0 };
      this.#sources.set(sourceId, slot);
    }
    const n = Math.min(pcm.length, this.frameSamples);
    slot.pcm.set(n === pcm.length ? pcm : pcm.subarray(0, n));
    if (n < this.frameSamples) slot.pcm.fill(0, n);
    if (slot.tick !== this.#tick) this.#active++;
    slot.tick = this.#tick;
    this.#sumTick = 0; // sum is stale
  }

  /** The frame `sourceId` set in this tick, if any (a view owned by the mixer). */
  frameOf(sourceId: string): Int16Array | undefined {
    const slot = this.#sources.get(sourceId);
    return slot && slot.tick === this.#tick ? slot.pcm : undefined;
  }

  /** Sources that set a frame in this tick. */
  get activeSources(): number {
    return this.#active;
  }

  /**
   * Writes into `out` the mix of every source of this tick except `exclude` (null: everyone) and
   * returns `out`.
   */
  mixFor(exclude: string | null, out: Int16Array): Int16Array {
    return mixMinus(this.sum(), undefined, exclude === null ? undefined : this.frameOf(exclude), out, this.frameSamples);
  }

  /** The unclamped sum of this tick's frames (owned by the mixer; valid until the next change). */
  sum(): Int32Array {
    if (this.#sumTick !== this.#tick) this.#computeSum();
    return this.#sum;
  }

  /** Starts a new tick: every source is silent until it sets a frame again. */
  clear(): void {
    this.#tick++;
    this.#sumTick = 0;
    this.#active = 0;
  }

  removeSource(sourceId: string): void {
    const slot = this.#sources.get(sourceId);
    if (slot && slot.tick === this.#tick) {
      this.#active--;
      this.#sumTick = 0;
    }
    this.#sources.delete(sourceId);
  }

  #computeSum(): void {
    const sum = this.#sum;
    const n = this.frameSamples;
    sum.fill(0);
    for (const slot of this.#sources.values()) {
      if (slot.tick !== this.#tick) continue;
      const pcm = slot.pcm;
      for (let i = 0; i < n; i++) sum[i] = sum[i]! + pcm[i]!;
    }
    this.#sumTick = this.#tick;
  }
}

/**
 * out = clamp16(sum + extra - own) over n samples; `extra` and `own` are optional. The one inner
 * loop of mix-minus, shared by the single- and multi-rate mixers.
 */
export function mixMinus(
  sum: Int32Array,
  extra: Int32Array | undefined,
  own: Int16Array | Int32Array | undefined,
  out: Int16Array,
  n: number,
): Int16Array {
  if (out.length < n) throw new RangeError(`mix output needs ${n} samples`);
  if (extra && own) {
    for (let i = 0; i < n; i++) {
      const v = sum[i]! + extra[i]! - own[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  } else if (extra) {
    for (let i = 0; i < n; i++) {
      const v = sum[i]! + extra[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  } else if (own) {
    for (let i = 0; i < n; i++) {
      const v = sum[i]! - own[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = sum[i]!;
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
  return out;
}
