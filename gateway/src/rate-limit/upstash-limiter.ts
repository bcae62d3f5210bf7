/**
 * Rate limits shared by every gateway instance, kept in Redis through
 * `@upstash/ratelimit` (sliding window) over Upstash's REST API (Upstash, or any
 * Redis behind an Upstash-compatible REST bridge such as the devstack's). When Redis
 * cannot be reached in `timeoutMs`, requests are let through (fail open) and the
 * first failure is logged: a rate limiter must not take the API down.
 */
import type { Logger } from '@civildiy/kit'
import { Ratelimit } from '@upstash/ratelimit'
import { Redis } from '@upstash/redis'
import type { RateLimitDecision, RateLimiter } from './rate-limiter.ts'

/**
 * @example const limiter = createUpstashLimiter({ url, token }, logger)
 */
export function createUpstashLimiter(
  o: { url: string; token: string; prefix?: string; timeoutMs?: number },
  logger: Logger,
): RateLimiter {
  const redis = new Redis({ url: o.url, token: o.token, enableTelemetry: false })
  const limiters = new Map<string, Ratelimit>()
  let failing = false
  return {
    kind: 'redis (@upstash/ratelimit)',
    async limit(key, policy): Promise<RateLimitDecision> {
      const id = `${policy.name}:${policy.limit}:${policy.windowMs}`
      let limiter = limiters.get(id)
      if (!limiter) {
        limiter = new Ratelimit({
          redis,
          limiter: Ratelimit.slidingWindow(policy.limit, `${policy.windowMs} ms`),
          prefix: `${o.prefix ?? 'gateway:ratelimit'}:${policy.name}`,
          timeout: o.timeoutMs ?? 1_000,
          analytics: false,
        })
        limiters.set(id, limiter)
      }
      try {
        const r = await limiter.limit(key)
        if (failing) logger.info('rate-limit store reachable again')
        failing = false
        return { success: r.success, limit: r.limit, remaining: r.remaining, resetAt: r.reset }
      } catch (err) {
        if (!failing)
          logger.warn(
            { err: (err as Error).message },
            'rate-limit store failing; letting requests through',
          )
        failing = true
        return { success: true, limit: policy.limit, remaining: policy.limit, resetAt: Date.now() }
      }
    },
  }
}
