/**
 * Stops kafkajs 2.2.4's idle timer loop (tulios/kafkajs#1704 and #1751; the fix
 * proposed upstream in #1768 is unmerged, and kafkajs has had no release since).
 *
 * Each broker connection's request queue, with nothing pending and no broker
 * throttling, still schedules a check at `throttledUntil - Date.now()` (about
 * -1.8e12 ms, since `throttledUntil` starts at -1). The runtime clamps that to
 * 1 ms and prints a TimeoutNegativeWarning, and each check schedules the next, so
 * every connection wakes the process about 1,000 times a second for nothing.
 * `bun bench/services.ts` reports idle CPU: 1–3% of a core per service with this
 * fix, 3–6% without it.
 *
 * The fix is upstream's: with an empty queue and no throttle there is nothing to
 * schedule (whatever enqueues a request schedules a check again). A queue that
 * is throttled or has pending requests behaves exactly as before.
 */
let applied = false

/**
 * Applies the fix once per process (later calls do nothing). Returns whether the
 * kafkajs internals looked as expected; when they do not (another kafkajs version),
 * nothing is changed.
 * @example
 * fixKafkajsIdleLoop()
 * const kafka = new Kafka({ clientId: 'feed', brokers })
 */
export function fixKafkajsIdleLoop(): boolean {
  if (applied) return true
  // Required here, not imported: kafkajs loads only in a process that uses Kafka.
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as
    | { prototype?: unknown }
    | undefined
  const proto = RequestQueue?.prototype as
    | { scheduleCheckPendingRequests?: (this: QueueState) => void }
    | undefined
  const original = proto?.scheduleCheckPendingRequests
  if (!proto || typeof original !== 'function') return false
  proto.scheduleCheckPendingRequests = function (this: QueueState) {
    if (
      !this.throttleCheckTimeoutId &&
      this.pending.length === 0 &&
      this.throttledUntil - Date.now() <= 0
    )
      return
    original.call(this)
  }
  applied = true
  return true
}

/** The fields of a kafkajs RequestQueue the fix reads. */
interface QueueState {
  throttleCheckTimeoutId: unknown
  pending: unknown[]
  throttledUntil: number
}
