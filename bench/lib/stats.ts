// Small statistics for benchmark samples: medians, percentiles, spread, and ratios taken pair by pair.

export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

export const median = (values: number[]): number => quantile(values, 0.5)

export interface Summary {
  max: number
  median: number
  min: number
  n: number
}

export function summarize(values: number[]): Summary {
  return {max: Math.max(...values), median: median(values), min: Math.min(...values), n: values.length}
}

/** The median of a[i] / b[i]: rounds were run A B A B, so each pair saw the same machine state. */
export function pairedRatio(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length)
  const ratios: number[] = []
  for (let i = 0; i < n; i++) if (b[i] > 0 && Number.isFinite(a[i]) && Number.isFinite(b[i])) ratios.push(a[i] / b[i])
  return median(ratios)
}

/**
 * The tools in the order they run in one round of one workload: the list rotated by the round and
 * by the workload's place among all workloads (A B C, then B C A, ...), so that no tool is first in
 * every workload's first round.
 */
export function roundOrder<T>(tools: readonly T[], round: number, workload: number): T[] {
  return tools.map((_, k) => tools[(k + round + workload) % tools.length])
}
