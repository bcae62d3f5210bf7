/**
 * Quantiles of a Prometheus histogram over a sliding window, as
 * `histogram_quantile(q, increase(h_bucket[window]))` computes them: the bucket
 * counts of the newest reading minus those of the oldest one in the window,
 * then linear interpolation inside the bucket that holds the quantile.
 * Source: prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile
 */

/** Cumulative counts by upper bound (`le`), summed over instances and labels. */
export type Buckets = Map<number, number>

/**
 * The q-quantile (0..1) of cumulative `buckets`, or null when they hold nothing.
 * @example quantileOf(new Map([[0.1, 5], [1, 10], [Infinity, 10]]), 0.5) // 0.1
 */
export function quantileOf(buckets: Buckets, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b)
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? buckets.get(bounds.at(-1)!) ?? 0
  if (total <= 0) return null
  const rank = q * total
  let lower = 0
  let below = 0
  for (const le of bounds) {
    const count = buckets.get(le)!
    if (count >= rank) {
      // Above the highest finite bound: report that bound, as Prometheus does.
      if (le === Number.POSITIVE_INFINITY) return lower
      return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1e-12)
    }
    lower = le
    below = count
  }
  return lower
}

export interface WindowedHistogram {
  /** Adds a reading; returns whether it holds observations the previous one did not. */
  add(at: number, buckets: Buckets): boolean
  /** Observations in the window and their quantiles, or null when it holds none. */
  quantiles(qs: number[]): { count: number; values: number[] } | null
}

/**
 * @param windowMs how far back the oldest reading may be. Default 60 s.
 * @example const w = windowedHistogram(); w.add(Date.now(), buckets); w.quantiles([0.5, 0.99])
 */
export function windowedHistogram(windowMs = 60_000): WindowedHistogram {
  let readings: { at: number; buckets: Buckets }[] = []
  const totalOf = (b: Buckets) => b.get(Number.POSITIVE_INFINITY) ?? 0
  return {
    add(at, buckets) {
      let last = readings.at(-1)
      // A restarted process starts its counters again from zero: start the window again.
      if (last && totalOf(buckets) < totalOf(last.buckets)) {
        readings = []
        last = undefined
      }
      readings.push({ at, buckets })
      while (readings.length > 2 && readings[1]!.at <= at - windowMs) readings.shift()
      return last ? totalOf(buckets) > totalOf(last.buckets) : totalOf(buckets) > 0
    },
    quantiles(qs) {
      const newest = readings.at(-1)
      if (!newest) return null
      const oldest = readings.length > 1 ? readings[0]! : null
      const delta: Buckets = new Map()
      for (const [le, n] of newest.buckets) delta.set(le, n - (oldest?.buckets.get(le) ?? 0))
      const count = totalOf(delta)
      if (count <= 0) return null
      return { count, values: qs.map((q) => quantileOf(delta, q) ?? 0) }
    },
  }
}
