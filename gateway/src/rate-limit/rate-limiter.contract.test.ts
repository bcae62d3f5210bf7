/**
 * Both limiters under the same contract: the in-process sliding window, and
 * `@upstash/ratelimit` through the devstack's Upstash REST bridge to a real Redis.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import {
  NO_REDIS_REASON,
  startTestRedis,
  startUpstashBridge,
  type TestRedis,
  type UpstashBridge,
} from '@civildiy/devstack'
import { silentLogger } from '@civildiy/kit/testing'
import type { RateLimitPolicy } from '../routes/model.ts'
import { type RateLimiter, rateLimitHeaders } from './rate-limiter.ts'
import { createSlidingWindowLimiter } from './sliding-window.ts'
import { createUpstashLimiter } from './upstash-limiter.ts'

const redis: TestRedis | null = await startTestRedis()
if (!redis) console.warn(`SKIPPED rate limiter on redis: ${NO_REDIS_REASON}`)
let bridge: UpstashBridge | undefined

const kinds: [string, () => Promise<RateLimiter>][] = [
  ['in-process', async () => createSlidingWindowLimiter()],
]
if (redis) {
  kinds.push([
    'redis (upstash)',
    async () => {
      bridge ??= await startUpstashBridge({ redisUrl: redis.url, port: 0 })
      return createUpstashLimiter(
        { url: bridge.url, token: bridge.token, prefix: `test:${crypto.randomUUID()}` },
        silentLogger(),
      )
    },
  ])
}

afterAll(async () => {
  await bridge?.stop()
  await redis?.stop()
})

for (const [kind, make] of kinds) {
  describe(`rate limiter: ${kind}`, () => {
    const policy: RateLimitPolicy & { name: string } = {
      name: 'p',
      limit: 5,
      windowMs: 60_000,
      by: 'ip',
    }
    test('lets `limit` requests through per key, then refuses with a reset time', async () => {
      const limiter = await make()
      const results = []
      for (let i = 0; i < 6; i++) results.push(await limiter.limit('ip:1', policy))
      expect(results.map((r) => r.success)).toEqual([true, true, true, true, true, false])
      expect(results.map((r) => r.remaining)).toEqual([4, 3, 2, 1, 0, 0])
      const last = results[5]!
      expect(last.limit).toBe(5)
      expect(last.resetAt).toBeGreaterThan(Date.now())
      expect(last.resetAt).toBeLessThanOrEqual(Date.now() + 60_000)
      expect((await limiter.limit('ip:2', policy)).success).toBe(true)
      const headers = rateLimitHeaders(last, Date.now())
      expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(headers['ratelimit-remaining']).toBe('0')
    })
  })
}

test('the sliding window weighs the previous window by its remaining overlap', async () => {
  let now = 0
  const limiter = createSlidingWindowLimiter(() => now)
  const policy = { name: 'w', limit: 10, windowMs: 1_000, by: 'ip' as const }
  for (let i = 0; i < 10; i++) expect((await limiter.limit('k', policy)).success).toBe(true)
  expect((await limiter.limit('k', policy)).success).toBe(false)
  // A quarter into the next window, 75% of the previous 10 still count (7, rounded down): 3 more fit.
  now = 1_250
  for (let i = 0; i < 3; i++) expect((await limiter.limit('k', policy)).success).toBe(true)
  expect((await limiter.limit('k', policy)).success).toBe(false)
})
