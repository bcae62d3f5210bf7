/** The login throttle the configuration asks for: in Redis when REDIS_URL is set, else in process. */
import type { LoginThrottle } from './login-throttle.ts'
import { createMemoryThrottle } from './memory-throttle.ts'
import { createRedisThrottle } from './redis-throttle.ts'

/**
 * @example const throttle = openLoginThrottle(config)
 */
export function openLoginThrottle(c: {
  REDIS_URL?: string
  LOGIN_MAX_FAILURES: number
  LOGIN_FAILURE_WINDOW_SEC: number
}): LoginThrottle {
  const policy = { maxFailures: c.LOGIN_MAX_FAILURES, windowMs: c.LOGIN_FAILURE_WINDOW_SEC * 1000 }
  return c.REDIS_URL ? createRedisThrottle(c.REDIS_URL, policy) : createMemoryThrottle(policy)
}
