/** One contract for both LoginThrottle adapters; Redis runs against a real server. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { NO_REDIS_REASON, startTestRedis, type TestRedis } from '@civildiy/devstack'
import { accountKey, type LoginThrottle } from './login-throttle.ts'
import { createMemoryThrottle } from './memory-throttle.ts'
import { createRedisThrottle } from './redis-throttle.ts'

const policy = { maxFailures: 3, windowMs: 60_000 }
let redis: TestRedis | null = null

beforeAll(async () => {
  redis = await startTestRedis()
  if (!redis) console.warn(`SKIPPED login throttle on redis: ${NO_REDIS_REASON}`)
})
afterAll(async () => redis?.stop())

const adapters: [string, () => LoginThrottle | null][] = [
  ['memory', () => createMemoryThrottle(policy)],
  ['redis', () => (redis ? createRedisThrottle(redis.url, policy) : null)],
]

for (const [name, make] of adapters) {
  describe(`login throttle (${name})`, () => {
    test('blocks an account after maxFailures within the window, for the rest of it', async () => {
      const throttle = make()
      if (!throttle) return
      const account = accountKey(`${crypto.randomUUID()}@example.com`)
      for (let i = 0; i < 3; i++) {
        expect(await throttle.blockedForMs(account)).toBe(0)
        await throttle.failed(account)
      }
      const blocked = await throttle.blockedForMs(account)
      expect(blocked).toBeGreaterThan(0)
      expect(blocked).toBeLessThanOrEqual(60_000)
      // Other accounts are untouched.
      expect(await throttle.blockedForMs(accountKey('other@example.com'))).toBe(0)
      await throttle.close()
    })

    test('a success resets the count', async () => {
      const throttle = make()
      if (!throttle) return
      const account = accountKey(`${crypto.randomUUID()}@example.com`)
      await throttle.failed(account)
      await throttle.failed(account)
      await throttle.succeeded(account)
      await throttle.failed(account)
      await throttle.failed(account)
      expect(await throttle.blockedForMs(account)).toBe(0)
      await throttle.close()
    })
  })
}

test('account keys ignore case and never hold the address', () => {
  expect(accountKey('Ada@Example.com')).toBe(accountKey('ada@example.com'))
  expect(accountKey('ada@example.com')).not.toContain('ada')
})
