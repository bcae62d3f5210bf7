/**
 * A small closed-loop HTTP load generator: `connections` loops each send the next
 * request as soon as the previous answered, for `seconds`. Client and servers share
 * this machine's cores, so figures are for comparison within one run.
 */
import { type Summary, summarize } from '@civildiy/harness'

export interface LoadResult {
  requests: number
  errors: number
  perSecond: number
  ms: Summary
}

export async function load(
  url: string,
  o: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<LoadResult> {
  const latencies: number[] = []
  let errors = 0
  const end = performance.now() + o.seconds * 1000
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (performance.now() < end) {
        const s = performance.now()
        try {
          const res = await fetch(url, { headers: o.headers })
          await res.arrayBuffer()
          if (res.status !== 200) errors++
          else latencies.push(performance.now() - s)
        } catch {
          errors++
        }
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  return {
    requests: latencies.length,
    errors,
    perSecond: latencies.length / seconds,
    ms: summarize(latencies.length ? latencies : [Number.NaN]),
  }
}
