/**
 * A concurrency limit that adapts to an overloaded server, additive-increase /
 * multiplicative-decrease as TCP congestion control does: the limit halves when a
 * task reports overload (a 504 from the gateway: the upstream could not keep up)
 * and grows by one after as many tasks in a row as the limit finished without it,
 * never above `max` nor below 1.
 */
export interface AdaptiveLimit {
  /** Tasks allowed in flight now. */
  readonly limit: number
  /** The lowest the limit went. */
  readonly lowest: number
  /** Resolves once a slot is free; pair with `release`. */
  acquire(): Promise<void>
  /** Frees the slot; `overloaded` says whether the task saw the server overloaded. */
  release(overloaded: boolean): void
}

/** @example const gate = adaptiveLimit(8); await gate.acquire(); try { ... } finally { gate.release(sawA504) } */
export function adaptiveLimit(max: number): AdaptiveLimit {
  let limit = Math.max(1, Math.floor(max))
  let lowest = limit
  let inFlight = 0
  let streak = 0
  const waiting: (() => void)[] = []
  const admit = () => {
    while (inFlight < limit && waiting.length > 0) {
      inFlight++
      waiting.shift()!()
    }
  }
  return {
    get limit() {
      return limit
    },
    get lowest() {
      return lowest
    },
    acquire() {
      if (inFlight < limit && waiting.length === 0) {
        inFlight++
        return Promise.resolve()
      }
      return new Promise<void>((resolve) => waiting.push(resolve))
    },
    release(overloaded) {
      inFlight--
      if (overloaded) {
        limit = Math.max(1, Math.floor(limit / 2))
        lowest = Math.min(lowest, limit)
        streak = 0
      } else if (++streak >= limit && limit < max) {
        limit++
        streak = 0
      }
      admit()
    },
  }
}
