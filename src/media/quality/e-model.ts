/**
 * An estimated MOS for one direction of a call, from the ITU-T G.107 E-model reduced to what a
 * gateway can measure: the codec's equipment impairment (Ie) and packet-loss robustness (Bpl)
 * from G.113 Appendix I, the loss ratio, and a one-way delay that includes the jitter buffer.
 *
 * Simplifications (README "Calls, quality and CDRs" says the same):
 * - every G.107 parameter other than delay and loss at its default, so R starts at 93.2;
 * - the delay impairment Id is the usual two-line fit of G.107's Idd at default echo values
 *   (Id = 0.024·d + 0.11·(d − 177.3) above 177.3 ms);
 * - loss is taken as random (BurstR = 1);
 * - jitter counts only as delay: the jitter buffer is assumed to hold twice the measured jitter
 *   (at least one frame), and late packets are not counted as lost;
 * - codecs without narrowband values in G.113 (G.722, L16, Opus) are scored like G.711 with
 *   packet-loss concealment: the narrowband scale cannot show their wideband gain, only their loss.
 */

export interface CodecImpairment {
  /** Equipment impairment factor at zero loss. */
  ie: number;
  /** Packet-loss robustness factor. */
  bpl: number;
  /** Algorithmic delay beyond the 20 ms frame (lookahead), ms. */
  lookaheadMs: number;
}

/** G.711 with packet-loss concealment (G.113 Appendix I): every caller codec we terminate conceals. */
const G711_PLC: CodecImpairment = { ie: 0, bpl: 25.1, lookaheadMs: 0 };

const CODECS: Readonly<Record<string, CodecImpairment>> = {
  PCMU: G711_PLC,
  PCMA: G711_PLC,
  G722: { ...G711_PLC, lookaheadMs: 1.5 },
  L16: G711_PLC,
  OPUS: { ...G711_PLC, lookaheadMs: 6.5 },
};

/** The impairment values used for `codec` (case-insensitive); unknown codecs as G.711. */
export function codecImpairment(codec: string | undefined): CodecImpairment {
  return (codec !== undefined ? CODECS[codec.toUpperCase()] : undefined) ?? G711_PLC;
}

export interface DirectionInput {
  codec: string | undefined;
  /** Share of packets lost on the measured legs of this direction, 0..1. */
  lossRatio: number;
  /** Interarrival jitter at the receiving end, ms. */
  jitterMs: number;
  /** Network one-way delay where known (half a measured RTT), ms; 0 when nothing was measured. */
  networkDelayMs: number;
}

const FRAME_MS = 20;
const R_DEFAULT = 93.2;

/** Mouth-to-ear delay the estimate assumes: frame, lookahead, jitter buffer and network. */
export function oneWayDelayMs(input: DirectionInput): number {
  const c = codecImpairment(input.codec);
  const jitterBuffer = Math.max(FRAME_MS, 2 * Math.max(0, input.jitterMs));
  return FRAME_MS + c.lookaheadMs + jitterBuffer + Math.max(0, input.networkDelayMs);
}

/** The transmission rating factor R (0..93.2 with these defaults). */
export function rFactor(input: DirectionInput): number {
  const c = codecImpairment(input.codec);
  const d = oneWayDelayMs(input);
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const ppl = Math.min(100, Math.max(0, input.lossRatio * 100));
  const ieEff = c.ie + ((95 - c.ie) * ppl) / (ppl + c.bpl);
  return R_DEFAULT - id - ieEff;
}

/** G.107 Annex B: R to an estimated MOS (1..4.5). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/** The estimated MOS of one direction, rounded to two decimals. */
export function estimateMos(input: DirectionInput): number {
  return Math.round(mosFromR(rFactor(input)) * 100) / 100;
}

/** Two legs in a row lose a packet when either does. */
export function combinedLoss(...ratios: ReadonlyArray<number | undefined>): number {
  let kept = 1;
  for (const r of ratios) if (r !== undefined && r > 0) kept *= 1 - Math.min(1, r);
  return 1 - kept;
}
