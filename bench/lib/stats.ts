/** Small statistics helpers for the benchmark: order statistics, not means, so outliers do not skew. */

/** The q-quantile (0..1) by nearest rank; NaN for no samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (samples: readonly number[]) => quantile(samples, 0.5);

/** Rounds for display and for the JSON, so both hold the same figure. */
export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A ratio that stays readable when the denominator is zero (0/0 is 1: nothing grew). */
export function ratio(numerator: number, denominator: number): number {
  if (denominator === 0) return numerator === 0 ? 1 : Number.POSITIVE_INFINITY;
  return numerator / denominator;
}
