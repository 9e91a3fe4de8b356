/**
 * Constants of ITU-T G.722 (sub-band ADPCM, 64 kbit/s mode), as the recommendation tabulates them.
 * They are facts of the standard; every conforming implementation carries the same numbers.
 */

/**
 * 24-tap QMF coefficients h0..h23 scaled by 2^13, split into even-indexed (h0, h2, ..., h22) and
 * odd-indexed (h1, h3, ..., h23) taps. The filter is symmetric, so the odd taps are the even taps
 * reversed.
 */
export const QMF_EVEN = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);
export const QMF_ODD = Int32Array.of(-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3);

/** Lower sub-band 6-bit quantiser decision levels (index 1..29 used; scaled by 2^12 / det). */
export const LOW_DECISION = Int32Array.of(
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219,
  1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
);

/** 6-bit codes for interval index 1..30 of a negative / positive lower sub-band difference. */
export const LOW_CODE_NEG = Uint8Array.of(
  0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,
  5, 4,
);
export const LOW_CODE_POS = Uint8Array.of(
  0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35,
  34, 33, 32,
);

/** Signed 6-bit inverse quantiser outputs (the decoder's output path), indexed by the 6-bit code. */
export const LOW_INVERSE_6 = Int32Array.of(
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576,
  -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040,
  -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
);

/** Signed 4-bit inverse quantiser outputs (the predictor-adaptation path), indexed by code >> 2. */
export const LOW_INVERSE_4 = Int32Array.of(
  0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
);

/** Log scale factor multipliers of the lower sub-band, indexed through LOW_LOG_INDEX[code >> 2]. */
export const LOW_LOG_WEIGHT = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
export const LOW_LOG_INDEX = Uint8Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);

/** Higher sub-band: 2-bit codes for the small/large interval of a negative / positive difference. */
export const HIGH_CODE_NEG = Uint8Array.of(0, 1, 0);
export const HIGH_CODE_POS = Uint8Array.of(0, 3, 2);
/** The one higher sub-band decision level (scaled by 2^12 / det). */
export const HIGH_DECISION = 564;
/** Signed 2-bit inverse quantiser outputs, indexed by the 2-bit code. */
export const HIGH_INVERSE = Int32Array.of(-7408, -1616, 7408, 1616);
/** Log scale factor multipliers of the higher sub-band, indexed through HIGH_LOG_INDEX[code]. */
export const HIGH_LOG_WEIGHT = Int32Array.of(0, -214, 798);
export const HIGH_LOG_INDEX = Uint8Array.of(2, 1, 2, 1);

/** Antilog table: 2048 · 2^(i/32), used to turn the log scale factor into the linear one. */
export const INVERSE_LOG = Int32Array.of(
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960,
  3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
);

/** Upper bounds of the log scale factors (lower and higher sub-band). */
export const LOW_LOG_MAX = 18432;
export const HIGH_LOG_MAX = 22528;
