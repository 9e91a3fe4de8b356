/**
 * The ADPCM machinery of one G.722 sub-band: the adaptive pole/zero predictor and the scale
 * factor, plus the quantisers of each band. Integer arithmetic follows the recommendation's block
 * descriptions (16-bit saturation, arithmetic right shifts) so that the bit stream interoperates
 * with other implementations; encoder and decoder run the same adaptation so they stay in step.
 */
import * as tables from './g722-tables.js';

// Local bindings on purpose: some module loaders (tsx, vitest) compile imported bindings into
// getter calls, which cost a third of the codec's time in these per-sample paths.
const {
  HIGH_CODE_NEG,
  HIGH_CODE_POS,
  HIGH_DECISION,
  HIGH_INVERSE,
  HIGH_LOG_INDEX,
  HIGH_LOG_MAX,
  HIGH_LOG_WEIGHT,
  INVERSE_LOG,
  LOW_CODE_NEG,
  LOW_CODE_POS,
  LOW_DECISION,
  LOW_INVERSE_4,
  LOW_LOG_INDEX,
  LOW_LOG_MAX,
  LOW_LOG_WEIGHT,
} = tables;

export function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/**
 * State of one sub-band's predictor and step size. The six-tap histories are unrolled into plain
 * fields: this runs twice per 16 kHz sample pair, and fields beat typed-array loops here.
 */
export class AdpcmBand {
  /** Signal estimate for the next sample (SL / SH). */
  estimate = 0;
  /** Linear scale factor (DETL / DETH). */
  det: number;
  /** Log scale factor (NBL / NBH). */
  logScale = 0;
  private zeroOut = 0; // SZ: zero-section output
  // Reconstructed signal one sample ago (the value two samples ago is this one, read before update).
  private r1 = 0;
  private p1 = 0; // partially reconstructed signal, one and two samples ago
  private p2 = 0;
  private a1 = 0; // pole predictor coefficients
  private a2 = 0;
  // Quantised differences (newest first) and zero predictor coefficients.
  private d1 = 0;
  private d2 = 0;
  private d3 = 0;
  private d4 = 0;
  private d5 = 0;
  private d6 = 0;
  private b1 = 0;
  private b2 = 0;
  private b3 = 0;
  private b4 = 0;
  private b5 = 0;
  private b6 = 0;
  private readonly initialDet: number;

  constructor(initialDet: number) {
    this.det = initialDet;
    this.initialDet = initialDet;
  }

  reset(): void {
    this.estimate = 0;
    this.det = this.initialDet;
    this.logScale = 0;
    this.zeroOut = 0;
    this.r1 = this.p1 = this.p2 = 0;
    this.a1 = this.a2 = 0;
    this.d1 = this.d2 = this.d3 = this.d4 = this.d5 = this.d6 = 0;
    this.b1 = this.b2 = this.b3 = this.b4 = this.b5 = this.b6 = 0;
  }

  /**
   * Updates the predictor with the quantised difference `dq` of the current sample and computes
   * the estimate for the next one (blocks RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEP,
   * FILTEZ, PREDIC).
   */
  adapt(dq: number): void {
    const r0 = sat16(this.estimate + dq);
    const p0 = sat16(this.zeroOut + dq);

    // Signs as in the recommendation: the sign bit, so zero counts as positive.
    const sp0 = p0 >> 15;
    const sp1 = this.p1 >> 15;
    const sp2 = this.p2 >> 15;

    // UPPOL2: second pole coefficient.
    const a1x4 = sat16(this.a1 * 4);
    let t = sp0 === sp1 ? -a1x4 : a1x4;
    if (t > 32767) t = 32767;
    let a2 = (t >> 7) + (sp0 === sp2 ? 128 : -128) + ((this.a2 * 32512) >> 15);
    if (a2 > 12288) a2 = 12288;
    else if (a2 < -12288) a2 = -12288;

    // UPPOL1: first pole coefficient, bounded so the two-pole section stays stable.
    let a1 = sat16((sp0 === sp1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const bound = sat16(15360 - a2);
    if (a1 > bound) a1 = bound;
    else if (a1 < -bound) a1 = -bound;

    // UPZERO: sign-sign update of the six zero coefficients (no push when dq is zero).
    const up = dq === 0 ? 0 : 128;
    const sd = dq >> 15;
    const b1 = sat16((this.d1 >> 15 === sd ? up : -up) + ((this.b1 * 32640) >> 15));
    const b2 = sat16((this.d2 >> 15 === sd ? up : -up) + ((this.b2 * 32640) >> 15));
    const b3 = sat16((this.d3 >> 15 === sd ? up : -up) + ((this.b3 * 32640) >> 15));
    const b4 = sat16((this.d4 >> 15 === sd ? up : -up) + ((this.b4 * 32640) >> 15));
    const b5 = sat16((this.d5 >> 15 === sd ? up : -up) + ((this.b5 * 32640) >> 15));
    const b6 = sat16((this.d6 >> 15 === sd ? up : -up) + ((this.b6 * 32640) >> 15));

    // DELAYA: age the histories.
    const d2 = this.d1;
    const d3 = this.d2;
    const d4 = this.d3;
    const d5 = this.d4;
    const d6 = this.d5;
    this.d6 = d6;
    this.d5 = d5;
    this.d4 = d4;
    this.d3 = d3;
    this.d2 = d2;
    this.d1 = dq;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.b4 = b4;
    this.b5 = b5;
    this.b6 = b6;
    const r2 = this.r1;
    this.r1 = r0;
    this.p2 = this.p1;
    this.p1 = p0;
    this.a1 = a1;
    this.a2 = a2;

    // FILTEP: pole section output.
    const pole = sat16(((a1 * sat16(r0 * 2)) >> 15) + ((a2 * sat16(r2 * 2)) >> 15));

    // FILTEZ: zero section output.
    const zero = sat16(
      ((b1 * sat16(dq * 2)) >> 15) +
        ((b2 * sat16(d2 * 2)) >> 15) +
        ((b3 * sat16(d3 * 2)) >> 15) +
        ((b4 * sat16(d4 * 2)) >> 15) +
        ((b5 * sat16(d5 * 2)) >> 15) +
        ((b6 * sat16(d6 * 2)) >> 15),
    );
    this.zeroOut = zero;

    // PREDIC
    this.estimate = sat16(pole + zero);
  }
}

/** Turns a log scale factor into the linear one (SCALEL / SCALEH); `offset` is 8 low, 10 high. */
function linearScale(logScale: number, offset: number): number {
  const mantissa = INVERSE_LOG[(logScale >> 6) & 31]!;
  const shift = offset - (logScale >> 11);
  return (shift >= 0 ? mantissa >> shift : mantissa << -shift) << 2;
}

/** LOGSCL + SCALEL: adapts the lower band's step size after code `code6`. */
export function adaptLowScale(band: AdpcmBand, code6: number): void {
  let nb = ((band.logScale * 32512) >> 15) + LOW_LOG_WEIGHT[LOW_LOG_INDEX[code6 >> 2]!]!;
  if (nb < 0) nb = 0;
  else if (nb > LOW_LOG_MAX) nb = LOW_LOG_MAX;
  band.logScale = nb;
  band.det = linearScale(nb, 8);
}

/** LOGSCH + SCALEH: adapts the higher band's step size after code `code2`. */
export function adaptHighScale(band: AdpcmBand, code2: number): void {
  let nb = ((band.logScale * 32512) >> 15) + HIGH_LOG_WEIGHT[HIGH_LOG_INDEX[code2]!]!;
  if (nb < 0) nb = 0;
  else if (nb > HIGH_LOG_MAX) nb = HIGH_LOG_MAX;
  band.logScale = nb;
  band.det = linearScale(nb, 10);
}

/**
 * Interval index (1..30) of the lower-band quantiser for every K = ceil((|el| + 1) · 4096 / det):
 * the recommendation's test "|el| < (LOW_DECISION[i] · det) >> 12" is, in integers, exactly
 * "LOW_DECISION[i] >= K", so one division and one lookup replace the scan over 29 levels.
 */
const LOW_INTERVAL_BY_K: Uint8Array = (() => {
  const top = LOW_DECISION[29]!;
  const table = new Uint8Array(top + 1);
  let i = 1;
  for (let k = 0; k <= top; k++) {
    while (LOW_DECISION[i]! < k) i++;
    table[k] = i;
  }
  return table;
})();
const LOW_TOP_DECISION = LOW_DECISION[29]!;

/** QUANTL: 6-bit code for the lower-band prediction error `el`. */
export function quantizeLow(el: number, det: number): number {
  // One's complement magnitude, as the recommendation specifies.
  const mag = el >= 0 ? el : -(el + 1);
  const k = Math.floor(((mag + 1) * 4096 + det - 1) / det);
  const interval = k > LOW_TOP_DECISION ? 30 : LOW_INTERVAL_BY_K[k]!;
  return el < 0 ? LOW_CODE_NEG[interval]! : LOW_CODE_POS[interval]!;
}

/** QUANTL as the recommendation states it (a scan over the decision levels); for tests. */
export function quantizeLowReference(el: number, det: number): number {
  const mag = el >= 0 ? el : -(el + 1);
  let i = 1;
  while (i < 30 && mag >= (LOW_DECISION[i]! * det) >> 12) i++;
  return el < 0 ? LOW_CODE_NEG[i]! : LOW_CODE_POS[i]!;
}

/** INVQAL: the 4-bit quantised difference that drives lower-band adaptation. */
export function inverseLow4(code6: number, det: number): number {
  return (det * LOW_INVERSE_4[code6 >> 2]!) >> 15;
}

/** QUANTH: 2-bit code for the higher-band prediction error `eh`. */
export function quantizeHigh(eh: number, det: number): number {
  const mag = eh >= 0 ? eh : -(eh + 1);
  const large = mag >= (HIGH_DECISION * det) >> 12 ? 2 : 1;
  return eh < 0 ? HIGH_CODE_NEG[large]! : HIGH_CODE_POS[large]!;
}

/** INVQAH: the quantised higher-band difference. */
export function inverseHigh(code2: number, det: number): number {
  return (det * HIGH_INVERSE[code2]!) >> 15;
}
