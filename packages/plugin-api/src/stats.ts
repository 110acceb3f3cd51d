/**
 * Statistics as upstream computes them (sort, keep values[int(n*0.05):int(n*0.90)], mean and
 * population stdev) plus the percentiles upstream's trimming hides.
 */
export function upstreamTrim(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const slice = sorted.slice(Math.trunc(n * 0.05), Math.trunc(n * 0.9));
  // Upstream would divide by zero for tiny samples; keep all values instead.
  return slice.length > 0 ? slice : sorted;
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Population standard deviation (numpy's default, as upstream uses). */
export function stdev(values: readonly number[]): number | null {
  const m = mean(values);
  if (m === null) return null;
  let acc = 0;
  for (const v of values) acc += (v - m) ** 2;
  return Math.sqrt(acc / values.length);
}

/** Linear-interpolated percentile (numpy's default), p in 0..100. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function round2(value: number | null): number | null {
  return value === null ? null : Math.round(value * 100) / 100;
}

export interface Summary {
  count: number;
  trimmedMean: number | null;
  trimmedStdev: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export function summarize(values: readonly number[]): Summary {
  const trimmed = upstreamTrim(values);
  return {
    count: values.length,
    trimmedMean: mean(trimmed),
    trimmedStdev: stdev(trimmed),
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
  };
}
