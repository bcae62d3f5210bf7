/**
 * What a chart shows, as plain data the browser hands to uPlot: the HTML reports
 * embed these as JSON and the dashboard receives them over its live stream. The
 * builders bin and sort samples here, so the page only draws.
 * Pure: no DOM, no I/O; the browser bundle (harness/src/web) imports the types.
 */

/** A reference value drawn as a dashed line, with whether the run met it. */
export interface PlotTarget {
  /** e.g. `p99 ≤ 1000 ms`. */
  label: string
  value: number
  /** `y`: a horizontal line (series); `x`: a vertical one (histograms, CDFs). */
  axis: 'x' | 'y'
  /** What was measured against it, e.g. `p99 243 ms`. */
  measured?: string
  met?: boolean
}

/** One uPlot chart: `data[0]` is x, then one array per series (null: no point). */
export interface PlotSpec {
  title: string
  kind: 'histogram' | 'cdf' | 'series'
  xLabel: string
  yLabel: string
  /** x values are epoch seconds (a time axis). */
  time?: boolean
  /** Show the last this many x units (a live chart's window), not the data's own range. */
  xWindow?: number
  series: string[]
  data: (number | null)[][]
  target?: PlotTarget
}

/**
 * Latency samples as a histogram: up to `bins` equal-width bins from 0 to the
 * p99.9-ish maximum (the last bin also holds anything above it).
 * @example histogramPlot('Feed read latency', [3.1, 4.2, 9.9], 'ms', { label: 'p99 ≤ 50 ms', value: 50, axis: 'x' })
 */
export function histogramPlot(
  title: string,
  samples: readonly number[],
  unit: string,
  target?: PlotTarget,
  bins = 40,
): PlotSpec {
  const sorted = [...samples].sort((a, b) => a - b)
  const top = sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.999))]!
    : 1
  const width = Math.max(top, 1e-9) / bins
  const counts = new Array<number>(bins).fill(0)
  for (const s of sorted) counts[Math.min(bins - 1, Math.floor(s / width))]!++
  return {
    title,
    kind: 'histogram',
    xLabel: unit,
    yLabel: 'count',
    series: ['count'],
    data: [counts.map((_, i) => round(i * width + width / 2)), counts],
    ...(target ? { target } : {}),
  }
}

/**
 * The empirical CDF of `samples`: x the value, y the fraction at or below it
 * (at most `points` points, evenly spaced in rank).
 * @example cdfPlot('Propagation', samples, 'ms')
 */
export function cdfPlot(
  title: string,
  samples: readonly number[],
  unit: string,
  target?: PlotTarget,
  points = 400,
): PlotSpec {
  const sorted = [...samples].sort((a, b) => a - b)
  const step = Math.max(1, Math.floor(sorted.length / points))
  const xs: number[] = []
  const ys: number[] = []
  for (let i = 0; i < sorted.length; i += step) {
    xs.push(round(sorted[i]!))
    ys.push((i + 1) / sorted.length)
  }
  if (sorted.length && xs.at(-1) !== round(sorted.at(-1)!)) {
    xs.push(round(sorted.at(-1)!))
    ys.push(1)
  }
  return {
    title,
    kind: 'cdf',
    xLabel: unit,
    yLabel: 'fraction ≤ x',
    series: ['fraction'],
    data: [xs, ys],
    ...(target ? { target } : {}),
  }
}

/**
 * Values over time: `points` are `[x, y1, y2, ...]` rows (x in seconds from the
 * start, or epoch seconds with `time`), one y per name in `series`.
 * @example seriesPlot('Throughput', 's', 'posts/s', ['accepted'], [[0, 9], [1, 10]])
 */
export function seriesPlot(
  title: string,
  xLabel: string,
  yLabel: string,
  series: string[],
  points: readonly (readonly (number | null)[])[],
  o: { target?: PlotTarget; time?: boolean; xWindow?: number } = {},
): PlotSpec {
  const data: (number | null)[][] = [[], ...series.map(() => [])]
  for (const row of points) for (let i = 0; i <= series.length; i++) data[i]!.push(row[i] ?? null)
  return {
    title,
    kind: 'series',
    xLabel,
    yLabel,
    series,
    data,
    ...(o.time ? { time: true } : {}),
    ...(o.xWindow ? { xWindow: o.xWindow } : {}),
    ...(o.target ? { target: o.target } : {}),
  }
}

/**
 * Counts of `times` (seconds from the start) per `bucketSec` bucket, as a rate
 * per second: the rows for a throughput series.
 * @example ratePoints([0.1, 0.4, 1.2], 1) // [[0, 2], [1, 1]]
 */
export function ratePoints(times: readonly number[], bucketSec = 1): [number, number][] {
  if (times.length === 0) return []
  const last = Math.floor(Math.max(...times) / bucketSec)
  const counts = new Array<number>(last + 1).fill(0)
  for (const t of times) counts[Math.max(0, Math.floor(t / bucketSec))]!++
  return counts.map((c, i) => [i * bucketSec, round(c / bucketSec)])
}

const round = (x: number) => Math.round(x * 1000) / 1000
