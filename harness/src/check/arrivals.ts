/**
 * What a propagation measurement through a second read model reports: how many
 * writes were sent, ms from each one's 201 until it showed where it should (search
 * found the post, the feed counted the comment), and the ones that never did.
 */
import { fmt, markdownTable, type Summary } from '../report/stats.ts'

export interface Arrivals {
  sent: number
  /** ms from 201 until seen; null when none was seen. */
  found: Summary | null
  /** Ids of the writes never seen within the timeout. */
  lost: string[]
}

/**
 * One table row per measurement, under `title` (e.g. `search propagation (201 → found), ms`).
 * @example arrivalsTable('search propagation (201 → found), ms', 'found', [['search', r]])
 */
export function arrivalsTable(title: string, seen: string, rows: [string, Arrivals][]): string {
  return markdownTable(
    [title, seen, 'lost', 'p50', 'p95', 'p99', 'max'],
    rows.map(([name, a]) => {
      const f = a.found
      return f
        ? [name, String(f.n), String(a.lost.length), fmt(f.p50), fmt(f.p95), fmt(f.p99), fmt(f.max)]
        : [name, '0', String(a.lost.length), '-', '-', '-', '-']
    }),
  )
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
