/**
 * Summary statistics for benchmark samples.
 *
 * Percentiles use the nearest-rank method: the p-th percentile of n sorted
 * samples is the value at rank ceil(p/100 * n) (1-based), so it is always an
 * observed sample.
 */

/** Percentiles and extremes of a sample set, in the samples' unit. */
export interface Summary {
  n: number
  min: number
  mean: number
  p50: number
  p90: number
  p95: number
  p99: number
  p999: number
  max: number
}

/**
 * The p-th percentile (0 < p <= 100) of ascending-sorted samples, nearest rank.
 *
 * @throws RangeError on an empty sample set or p outside (0, 100].
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('no samples')
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside (0, 100]`)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.max(0, rank - 1)]!
}

/**
 * Summarizes samples (any order).
 *
 * @throws RangeError on an empty sample set.
 * @example summarize([5, 1, 3]).p50 // 3
 */
export function summarize(samples: readonly number[]): Summary {
  const sorted = samples.toSorted((a, b) => a - b)
  const n = sorted.length
  if (n === 0) throw new RangeError('no samples')
  return {
    n,
    min: sorted[0]!,
    mean: sorted.reduce((s, x) => s + x, 0) / n,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[n - 1]!,
  }
}

/** `value / reference`, or NaN when the reference is zero. */
export function ratio(value: number, reference: number): number {
  return reference === 0 ? Number.NaN : value / reference
}

/** Formats a number for a table: 3 significant digits below 100, integers above. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en-US')
  return x.toPrecision(3)
}

/** A markdown table from a header row and data rows. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}
