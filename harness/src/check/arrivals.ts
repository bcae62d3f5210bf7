/**
 * What a propagation measurement through a second read model reports: how many
 * writes were sent, ms from each one's 201 until it showed where it should (search
 * found the post, the feed counted the comment), and the ones that never did.
 */
import type { ReportSection } from '../report/html-report.ts'
import { fmt, markdownTable, type Summary, summarize } from '../report/stats.ts'

export interface Arrivals {
  sent: number
  /** ms from 201 until seen; null when none was seen. */
  found: Summary | null
  /** Ids of the writes never seen within the timeout. */
  lost: string[]
}

function arrivalsRow(name: string, a: Arrivals): string[] {
  const f = a.found
  return f
    ? [name, String(f.n), String(a.lost.length), fmt(f.p50), fmt(f.p95), fmt(f.p99), fmt(f.max)]
    : [name, '0', String(a.lost.length), '-', '-', '-', '-']
}

/**
 * One table row per measurement, under `title` (e.g. `search propagation (201 → found), ms`).
 * @example arrivalsTable('search propagation (201 → found), ms', 'found', [['search', r]])
 */
export function arrivalsTable(title: string, seen: string, rows: [string, Arrivals][]): string {
  return markdownTable(
    [title, seen, 'lost', 'p50', 'p95', 'p99', 'max'],
    rows.map(([name, a]) => arrivalsRow(name, a)),
  )
}

/**
 * The HTML report's section for the measurements that were made (null when none was).
 * @example arrivalsSection([['search: 201 → found', r.search], ['comment: 201 → pushed', r.notifications]])
 */
export function arrivalsSection(
  rows: [string, Arrivals | null | undefined][],
): ReportSection | null {
  const made = rows.filter((r): r is [string, Arrivals] => Boolean(r[1]))
  if (!made.length) return null
  return {
    heading: 'Search, comments, likes and notifications',
    ok: made.every(([, a]) => a.lost.length === 0),
    table: {
      head: ['ms from the write to', 'seen', 'lost', 'p50', 'p95', 'p99', 'max'],
      rows: made.map(([name, a]) => arrivalsRow(name, a)),
    },
  }
}

/**
 * Arrivals from each write's id and ms until seen (null: never seen); negative
 * ms (seen before the clock started) count as 0.
 * @example toArrivals([{ id: 'a', ms: 12.5 }, { id: 'b', ms: null }]) // 1 found, b lost
 */
export function toArrivals(results: readonly { id: string; ms: number | null }[]): Arrivals {
  const ms = results.flatMap((r) => (r.ms === null ? [] : [Math.max(0, r.ms)]))
  return {
    sent: results.length,
    found: ms.length ? summarize(ms) : null,
    lost: results.filter((r) => r.ms === null).map((r) => r.id),
  }
}

/** Polls `seen` every 20 ms until it is true or `timeoutMs` passed; ms it took, or null. */
export async function timeUntil(seen: () => Promise<boolean>, timeoutMs: number) {
  const t0 = performance.now()
  while (performance.now() - t0 < timeoutMs) {
    if (await seen().catch(() => false)) return performance.now() - t0
    await Bun.sleep(20)
  }
  return null
}
