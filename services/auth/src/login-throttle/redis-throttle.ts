/**
 * LoginThrottle in Redis (Bun's RedisClient), shared by every auth instance: one
 * counter per account (`login-failures:<hash>`) that expires with its window.
 */
import { RedisClient } from 'bun'
import {
  defaultLoginThrottlePolicy,
  type LoginThrottle,
  type LoginThrottlePolicy,
} from './login-throttle.ts'

// INCR and, on the first failure of a window, PEXPIRE, atomically.
const COUNT_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`

/**
 * @throws on first use when Redis cannot be reached (the login then fails with 500 and is logged).
 * @example const throttle = createRedisThrottle('redis://127.0.0.1:6379')
 */
export function createRedisThrottle(
  url: string,
  policy: LoginThrottlePolicy = defaultLoginThrottlePolicy,
): LoginThrottle {
  const redis = new RedisClient(url)
  const key = (account: string) => `login-failures:${account}`
  return {
    kind: 'redis',
    async blockedForMs(account) {
      const [count, ttl] = (await Promise.all([
        redis.get(key(account)),
        redis.send('PTTL', [key(account)]),
      ])) as [string | null, number]
      return Number(count ?? 0) >= policy.maxFailures && ttl > 0 ? ttl : 0
    },
    async failed(account) {
      await redis.send('EVAL', [COUNT_FAILURE, '1', key(account), String(policy.windowMs)])
    },
    async succeeded(account) {
      await redis.del(key(account))
    },
    async close() {
      redis.close()
    },
  }
}
