/**
 * Concealment of lost frames by pitch repetition, in front of libopus' own PLC.
 *
 * libopus conceals a lost SILK frame from its last classification: voiced frames are extended
 * along the pitch, but anything its encoder VAD has learnt as background (a steady tone, a held
 * vowel, music on hold) is concealed as shaped noise, which is audible as a crackle on every loss.
 * Like WebRTC's NetEq "expand", this looks at the last 60 ms of decoded audio: when it is periodic
 * (normalized autocorrelation ≥ VOICED), the lost frame continues the last pitch period, fading
 * over consecutive losses; otherwise libopus' PLC runs. libopus is not told about a frame
 * concealed here: its PLC state would carry the noise into the next decoded frame, while decoding
 * the next packet straight from the last good state only leaves a small step, which the
 * cross-fade from the extrapolation into the first good frame smooths out.
 *
 * Cost: nothing on good frames beyond a 20 ms copy; on a lost frame one pitch search (about
 * 12k multiply-adds at 8 kHz, 48k at 16 kHz).
 */

const VOICED = 0.7;
/**
 * Gain at the end of the 1st, 2nd, 3rd… consecutive concealed frame (ramping within each): one
 * lost frame plays at full level, a longer outage fades out within 80 ms.
 */
const FADE = [1, 1, 0.7, 0.4, 0];

export class PitchConcealer {
  readonly #n: number;
  readonly #history: Float32Array;
  /** Pitch period in use while concealing (0: libopus' PLC is in use). */
  #period = 0;
  /** Position in the period of the next extrapolated sample. */
  #phase = 0;
  #lost = 0;
  #cleared = true;
  readonly #minLag: number;
  readonly #maxLag: number;
  readonly #window: number;
  readonly #fadeIn: number;

  constructor(sampleRate: number) {
    this.#n = sampleRate / 50;
    this.#history = new Float32Array(this.#n * 3);
    this.#minLag = Math.round(sampleRate / 1000); // 1 ms: up to 1 kHz fundamentals
    this.#maxLag = this.#n; // 20 ms: down to 50 Hz
    this.#window = this.#n / 2;
    this.#fadeIn = this.#n / 4;
  }

  /** True while the last frame given out was concealed by this class. */
  get concealing(): boolean {
    return this.#period > 0;
  }

  /** The stream is silent this tick (nothing decoded): old audio must not be extended later. */
  quiet(): void {
    this.#period = 0;
    this.#lost = 0;
    if (!this.#cleared) {
      this.#history.fill(0);
      this.#cleared = true;
    }
  }

  /** A decoded frame: cross-faded in after a concealment, then remembered. Changes `pcm` in place. */
  good(pcm: Int16Array): void {
    const n = Math.min(pcm.length, this.#n);
    if (this.#period > 0 && this.#lost > 0) {
      const gain = FADE[Math.min(this.#lost, FADE.length - 1)]!;
      const m = this.#fadeIn;
      for (let i = 0; i < m && i < n; i++) {
        const w = (i + 1) / (m + 1);
        const ext = this.#next() * gain;
        pcm[i] = clamp16(pcm[i]! * w + ext * (1 - w));
      }
    }
    this.#period = 0;
    this.#lost = 0;
    this.#remember(pcm, n);
  }

  /**
   * A lost frame. When the recent audio is periodic, writes the pitch extrapolation into `out`
   * and returns it; otherwise returns undefined, and the caller runs libopus' PLC and hands its
   * output to codecConcealed().
   */
  lost(out: Int16Array): Int16Array | undefined {
    const n = Math.min(out.length, this.#n);
    if (this.#lost === 0) {
      this.#period = this.#findPeriod();
      this.#phase = 0;
    }
    this.#lost++;
    if (this.#period === 0) return undefined;
    const from = FADE[Math.min(this.#lost - 1, FADE.length - 1)]!;
    const to = FADE[Math.min(this.#lost, FADE.length - 1)]!;
    for (let i = 0; i < n; i++) out[i] = clamp16(this.#next() * (from + ((to - from) * (i + 1)) / n));
    // The history keeps the unfaded extrapolation, so a further loss continues the same waveform.
    this.#shift(n);
    return out;
  }

  /** libopus' concealment of a frame lost() declined. */
  codecConcealed(plc: Int16Array): void {
    this.#remember(plc, Math.min(plc.length, this.#n));
  }

  /** The next sample of the periodic extension of the history's last period. */
  #next(): number {
    const h = this.#history;
    const v = h[h.length - this.#period + this.#phase]!;
    this.#phase = (this.#phase + 1) % this.#period;
    return v;
  }

  /** Best lag by normalized autocorrelation of the last 10 ms, or 0 when not periodic enough. */
  #findPeriod(): number {
    const h = this.#history;
    const end = h.length;
    const w = this.#window;
    let energy = 0;
    for (let i = end - w; i < end; i++) energy += h[i]! * h[i]!;
    if (energy < w * 100) return 0; // near silence: nothing worth extending
    let best = 0;
    let bestCorr = VOICED;
    for (let lag = this.#minLag; lag <= this.#maxLag; lag++) {
      let xy = 0;
      let yy = 0;
      for (let i = end - w; i < end; i++) {
        const y = h[i - lag]!;
        xy += h[i]! * y;
        yy += y * y;
      }
      if (xy <= 0 || yy <= 0) continue;
      const corr = xy / Math.sqrt(energy * yy);
      if (corr > bestCorr) {
        bestCorr = corr;
        best = lag;
      }
    }
    return best;
  }

  /** Appends an extrapolated stretch (the period repeated) to the history. */
  #shift(n: number): void {
    const h = this.#history;
    const period = this.#period;
    const start = h.length - period;
    h.copyWithin(0, n);
    // After the shift the last period sits n samples earlier; continue it into the freed tail.
    for (let i = h.length - n, k = 0; i < h.length; i++, k++) h[i] = h[start - n + (k % period)]!;
    this.#phase = 0;
  }

  #remember(pcm: Int16Array, n: number): void {
    this.#cleared = false;
    const h = this.#history;
    h.copyWithin(0, n);
    for (let i = 0; i < n; i++) h[h.length - n + i] = pcm[i]!;
  }
}

function clamp16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}
