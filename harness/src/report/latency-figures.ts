/**
 * The charts the check and replay reports share: event propagation (histogram,
 * CDF, over time), write throughput over time, and feed read latency.
 */
import type { PropagationResult } from '../check/propagation.ts'
import {
  cdfPlot,
  histogramPlot,
  type PlotSpec,
  type PlotTarget,
  ratePoints,
  seriesPlot,
} from './plot-spec.ts'
import { percentile } from './stats.ts'

/** A `p99 ≤ N ms` target for `samples`: measured p99 and whether it met it. */
export function p99Target(
  samples: readonly number[],
  limitMs: number,
  axis: 'x' | 'y',
): PlotTarget {
  const sorted = [...samples].sort((a, b) => a - b)
  const p99 = sorted.length ? percentile(sorted, 99) : null
  return {
    label: `p99 ≤ ${limitMs} ms`,
    value: limitMs,
    axis,
    ...(p99 === null ? {} : { measured: `p99 ${p99.toFixed(1)} ms`, met: p99 <= limitMs }),
  }
}

/**
 * Propagation from each post's 201 to the feeds, and the rate posts were accepted.
 * @example propagationFigures(report.propagation, 1000)
 */
export function propagationFigures(p: PropagationResult, p99LimitMs: number): PlotSpec[] {
  const global = p.timeline.flatMap((t) => (t.globalMs === null ? [] : [t.globalMs]))
  const home = p.timeline.flatMap((t) => (t.homeMs === null ? [] : [t.homeMs]))
  const figures = [
    histogramPlot(
      'Propagation 201 → global feed',
      global,
      'ms',
      p99Target(global, p99LimitMs, 'x'),
    ),
    cdfPlot(
      'Propagation 201 → global feed (CDF)',
      global,
      'ms',
      p99Target(global, p99LimitMs, 'x'),
    ),
  ]
  if (home.length)
    figures.push(
      cdfPlot(
        "Propagation 201 → follower's home feed (CDF)",
        home,
        'ms',
        p99Target(home, p99LimitMs, 'x'),
      ),
    )
  figures.push(
    seriesPlot(
      'Propagation over time',
      's since the first post',
      'ms',
      ['global feed', 'home feed'],
      p.timeline.map((t) => [t.acceptedAtS, t.globalMs, t.homeMs]),
      { target: p99Target(global, p99LimitMs, 'y') },
    ),
    seriesPlot(
      'Posts accepted per second',
      's since the first post',
      'posts/s',
      ['accepted'],
      ratePoints(p.timeline.map((t) => t.acceptedAtS)),
    ),
  )
  return figures
}

/** Home-feed read latency through the gateway: histogram and CDF against the p99 limit. */
export function feedReadFigures(samples: readonly number[], p99LimitMs: number): PlotSpec[] {
  return [
    histogramPlot('Home feed read latency', samples, 'ms', p99Target(samples, p99LimitMs, 'x')),
    cdfPlot('Home feed read latency (CDF)', samples, 'ms', p99Target(samples, p99LimitMs, 'x')),
  ]
}
