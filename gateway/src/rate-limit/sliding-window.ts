/**
 * In-process sliding-window rate limiter (the sliding window counter: the previous
 * window's count weighted by how much of it still overlaps, plus the current
 * window's; the same algorithm as `@upstash/ratelimit`'s `slidingWindow`). One
 * gateway instance only: with several, use the Redis-backed limiter.
 */
import type { RateLimitDecision, RateLimiter } from './rate-limiter.ts'

interface Counter {
  window: number
  previous: number
  current: number
}

/**
 * @param maxKeys counters kept before idle ones are swept (bounds memory). Default 100,000.
 * @example const limiter = createSlidingWindowLimiter(); await limiter.limit('ip:203.0.113.9', policy)
 */
export function createSlidingWindowLimiter(
  clock: () => number = Date.now,
  maxKeys = 100_000,
): RateLimiter {
  const counters = new Map<string, Counter>()
  const sweep = (now: number) => {
    for (const [key, c] of counters) {
      const windowMs = Number(key.slice(0, key.indexOf('|')))
      if (Math.floor(now / windowMs) - c.window >= 2) counters.delete(key)
    }
  }
  return {
    kind: 'in-process',
    async limit(key, policy): Promise<RateLimitDecision> {
      const now = clock()
      const windowMs = policy.windowMs
      const window = Math.floor(now / windowMs)
      const id = `${windowMs}|${policy.name}|${key}`
      let c = counters.get(id)
      if (!c) {
        if (counters.size >= maxKeys) sweep(now)
        c = { window, previous: 0, current: 0 }
        counters.set(id, c)
      } else if (c.window !== window) {
        c.previous = c.window === window - 1 ? c.current : 0
        c.current = 0
        c.window = window
      }
      const overlap = 1 - (now - window * windowMs) / windowMs
      const used = Math.floor(c.previous * overlap) + c.current
      const resetAt = (window + 1) * windowMs
      if (used >= policy.limit) {
        return { success: false, limit: policy.limit, remaining: 0, resetAt }
      }
      c.current++
      return { success: true, limit: policy.limit, remaining: policy.limit - used - 1, resetAt }
    },
  }
}
