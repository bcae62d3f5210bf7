/** The rate limiter the configuration asks for: Upstash REST (shared by all gateways) or in process. */
import type { Logger } from '@civildiy/kit'
import type { RateLimiter } from './rate-limiter.ts'
import { createSlidingWindowLimiter } from './sliding-window.ts'
import { createUpstashLimiter } from './upstash-limiter.ts'

/** @example const limiter = openRateLimiter(config, logger) */
export function openRateLimiter(
  c: { UPSTASH_REDIS_REST_URL?: string; UPSTASH_REDIS_REST_TOKEN?: string },
  logger: Logger,
): RateLimiter {
  return c.UPSTASH_REDIS_REST_URL && c.UPSTASH_REDIS_REST_TOKEN
    ? createUpstashLimiter(
        { url: c.UPSTASH_REDIS_REST_URL, token: c.UPSTASH_REDIS_REST_TOKEN },
        logger,
      )
    : createSlidingWindowLimiter()
}
