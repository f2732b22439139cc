// Percentiles over a latency sample (nearest-rank on a sorted copy).

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export function summarise(latenciesMs: number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const arr = Array.from(sorted);
  return { count: arr.length, p50: percentile(arr, 50), p90: percentile(arr, 90), p99: percentile(arr, 99), max: arr.at(-1) ?? 0 };
}
