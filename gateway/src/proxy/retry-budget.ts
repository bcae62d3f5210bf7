/**
 * A retry budget: retries may add at most `ratio` of the requests seen in the last
 * `windowMs` (plus `minPerSecond` so quiet services can still retry), so retries
 * cannot multiply load on a struggling service (Finagle/Linkerd retry budgets).
 */
export interface RetryBudget {
  /** Count a first attempt. */
  request(): void
  /** Whether a retry may be spent now; spends it when true. */
  tryRetry(): boolean
}

/**
 * @example
 * const budget = createRetryBudget({ ratio: 0.2 })
 * budget.request(); if (budget.tryRetry()) retry()
 */
export function createRetryBudget(
  o: { ratio?: number; minPerSecond?: number; windowMs?: number } = {},
  clock: () => number = Date.now,
): RetryBudget {
  const ratio = o.ratio ?? 0.2
  const minPerSecond = o.minPerSecond ?? 5
  const windowMs = o.windowMs ?? 10_000
  const buckets = Math.max(1, Math.round(windowMs / 1_000))
  const requests = new Array<number>(buckets).fill(0)
  const retries = new Array<number>(buckets).fill(0)
  let current = Math.floor(clock() / 1_000)
  const advance = () => {
    const second = Math.floor(clock() / 1_000)
    for (let s = Math.max(current + 1, second - buckets + 1); s <= second; s++) {
      requests[s % buckets] = 0
      retries[s % buckets] = 0
    }
    current = Math.max(current, second)
    return current % buckets
  }
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0)
  return {
    request() {
      requests[advance()]!++
    },
    tryRetry() {
      const i = advance()
      const allowed = minPerSecond * buckets + ratio * sum(requests)
      if (sum(retries) + 1 > allowed) return false
      retries[i]!++
      return true
    },
  }
}
