/** Small figures helpers for the benchmark's report. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function pct(part: number, whole: number): number {
  return whole <= 0 ? 0 : (100 * part) / whole;
}

export function fmt(v: number, digits = 1): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

/** A fixed-width table row. */
export function row(cells: ReadonlyArray<string | number>, widths: readonly number[]): string {
  return cells.map((c, i) => String(c).padStart(widths[i] ?? 8)).join(' ');
}
