/**
 * Mix-minus for a room whose participants use different PCM rates (G.711 at 8 kHz, G.722/Opus at
 * 16 kHz). Sources are summed at their native rate, and only the two partial sums cross rates:
 *
 *   mix at 8 kHz  = Σ 8 kHz sources  + decimate(Σ 16 kHz sources)  − own frame
 *   mix at 16 kHz = Σ 16 kHz sources + interpolate(Σ 8 kHz sources) − own frame
 *
 * The filters are linear, so converting the sum equals summing the converted sources, at a cost of
 * one decimation and one interpolation per tick for the whole room instead of one per source. A
 * listener is mixed at its own rate, where its own frame entered the sum unfiltered, so
 * subtracting it is exact (mix-minus leaves no echo of the caller even in mixed rooms).
 */
import { Decimator2, Interpolator2 } from './resampler.js';
import { mixMinus, RoomMixer } from './room-mixer.js';

export type MixRate = 8000 | 16000;

const FRAME_MS = 20;

interface Crossing {
  readonly converter: Decimator2 | Interpolator2;
  /** The other rate's partial sum, converted to this rate. */
  readonly converted: Int32Array;
  /** Tick whose current sum `converted` holds (0: stale or none). */
  tick: number;
  /** Tick whose input the converter has loaded but not yet committed to its history. */
  loadedTick: number;
}

export class MultiRateRoomMixer {
  readonly #native: Record<MixRate, RoomMixer> = {
    8000: new RoomMixer((8000 * FRAME_MS) / 1000),
    16000: new RoomMixer((16000 * FRAME_MS) / 1000),
  };
  /** Keyed by the rate converted *to*. */
  readonly #crossing: Record<MixRate, Crossing> = {
    8000: { converter: new Decimator2(), converted: new Int32Array((8000 * FRAME_MS) / 1000), tick: 0, loadedTick: 0 },
    16000: { converter: new Interpolator2(), converted: new Int32Array((16000 * FRAME_MS) / 1000), tick: 0, loadedTick: 0 },
  };
  readonly #rateOf = new Map<string, MixRate>();
  #tick = 1;

  static frameSamples(rate: MixRate): number {
    return (rate * FRAME_MS) / 1000;
  }

  /** Sets a source's frame for this tick at its native rate (copied). */
  setFrame(sourceId: string, pcm: Int16Array, rate: MixRate): void {
    const previous = this.#rateOf.get(sourceId);
    if (previous !== undefined && previous !== rate) this.#native[previous].removeSource(sourceId);
    this.#rateOf.set(sourceId, rate);
    this.#native[rate].setFrame(sourceId, pcm);
    this.#crossing[rate === 8000 ? 16000 : 8000].tick = 0; // that conversion is stale now
  }

  /**
   * Writes the mix at `rate` of every source except `exclude` (null: everyone) into `out`. A
   * source must listen at the rate it sends (RangeError otherwise): only there is its own
   * contribution known exactly.
   */
  mixFor(exclude: string | null, rate: MixRate, out: Int16Array): Int16Array {
    const native = this.#native[rate];
    let own: Int16Array | undefined;
    if (exclude !== null) {
      const sourceRate = this.#rateOf.get(exclude);
      if (sourceRate !== undefined && sourceRate !== rate) {
        throw new RangeError(`${exclude} sends at ${sourceRate} Hz and must be mixed at that rate`);
      }
      own = native.frameOf(exclude);
    }
    const other = this.#native[rate === 8000 ? 16000 : 8000];
    const extra = other.activeSources > 0 ? this.#converted(rate) : undefined;
    return mixMinus(native.sum(), extra, own, out, native.frameSamples);
  }

  /** Starts a new tick: every source is silent until it sets a frame again. */
  clear(): void {
    this.#tick++;
    this.#native[8000].clear();
    this.#native[16000].clear();
  }

  removeSource(sourceId: string): void {
    const rate = this.#rateOf.get(sourceId);
    if (rate === undefined) return;
    this.#rateOf.delete(sourceId);
    this.#native[rate].removeSource(sourceId);
    this.#crossing[rate === 8000 ? 16000 : 8000].tick = 0;
  }

  /**
   * The other rate's sum converted to `rate`. The filter history advances exactly once per tick:
   * a recomputation within a tick (a frame set after the first mixFor) refilters from the same
   * history, and a tick without conversion restarts the filter clean.
   */
  #converted(rate: MixRate): Int32Array {
    const c = this.#crossing[rate];
    if (c.tick === this.#tick) return c.converted;
    if (c.loadedTick !== this.#tick) {
      if (c.loadedTick === this.#tick - 1) c.converter.commit();
      else c.converter.reset();
    }
    const source = this.#native[rate === 8000 ? 16000 : 8000].sum();
    c.converter.filter(source, c.converted);
    c.tick = c.loadedTick = this.#tick;
    return c.converted;
  }
}
