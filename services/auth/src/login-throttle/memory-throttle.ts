/** LoginThrottle in process: right for one auth instance (each instance counts alone). */
import {
  defaultLoginThrottlePolicy,
  type LoginThrottle,
  type LoginThrottlePolicy,
} from './login-throttle.ts'

/** Accounts tracked at most; the oldest window is dropped past it, so memory stays bounded. */
const MAX_ACCOUNTS = 100_000

/**
 * @example const throttle = createMemoryThrottle(); if (await throttle.blockedForMs(key)) ...
 */
export function createMemoryThrottle(
  policy: LoginThrottlePolicy = defaultLoginThrottlePolicy,
  clock: () => number = Date.now,
): LoginThrottle {
  const windows = new Map<string, { failures: number; endsAt: number }>()
  const current = (account: string) => {
    const w = windows.get(account)
    if (w && w.endsAt <= clock()) {
      windows.delete(account)
      return undefined
    }
    return w
  }
  return {
    kind: 'memory',
    async blockedForMs(account) {
      const w = current(account)
      return w && w.failures >= policy.maxFailures ? w.endsAt - clock() : 0
    },
    async failed(account) {
      const w = current(account)
      if (w) w.failures++
      else {
        if (windows.size >= MAX_ACCOUNTS) windows.delete(windows.keys().next().value!)
        windows.set(account, { failures: 1, endsAt: clock() + policy.windowMs })
      }
    },
    async succeeded(account) {
      windows.delete(account)
    },
    async close() {
      windows.clear()
    },
  }
}
