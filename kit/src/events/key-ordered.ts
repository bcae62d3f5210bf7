/**
 * Runs a fetched batch of work items with bounded concurrency while keeping the
 * order that matters: items with the same key run one after another in input
 * order, items with different keys overlap. This is how a Kafka consumer applies
 * a partition's batch faster than one message at a time without breaking per-key
 * ordering (the guarantee Kafka itself gives per message key).
 */

export interface KeyOrderedOptions<T> {
  /** Items started and not yet settled, at most; >= 1. */
  concurrency: number
  /** Items with equal keys never overlap and run in input order. */
  keyOf: (item: T, index: number) => string
  work: (item: T, index: number) => Promise<void>
  /**
   * Called whenever the completed prefix grows: every item up to and including
   * `index` has finished. A consumer commits the offset of `items[index]` here.
   */
  onPrefixDone?: (index: number) => void
  /** Checked before each item starts (a heartbeat, a rebalance check); throwing stops starting items. */
  beforeEach?: () => Promise<void> | void
}

/**
 * Runs `work` over `items` (see the module note). Resolves once every started item
 * has settled; rejects with the first error from `work`, `keyOf` or `beforeEach`, after the
 * items already running have settled (no work is left running behind the caller).
 * Items after a failure are not started, and an item whose same-key predecessor
 * failed does not run, so the completed prefix never skips a failed item.
 * @example
 * await runKeyOrdered(batch.messages, {
 *   concurrency: 16,
 *   keyOf: (m) => String(m.key),
 *   work: handle,
 *   onPrefixDone: (i) => resolveOffset(batch.messages[i]!.offset),
 * })
 */
export async function runKeyOrdered<T>(items: T[], o: KeyOrderedOptions<T>): Promise<void> {
  const concurrency = Math.max(1, Math.floor(o.concurrency))
  const tails = new Map<string, Promise<void>>()
  const done: boolean[] = []
  const inFlight = new Set<Promise<void>>()
  let prefix = 0
  let failure: { error: unknown } | null = null
  for (let i = 0; i < items.length && !failure; i++) {
    while (inFlight.size >= concurrency) await Promise.race(inFlight)
    if (failure) break
    const item = items[i] as T
    let key: string
    try {
      await o.beforeEach?.()
      key = o.keyOf(item, i)
    } catch (error) {
      failure = { error }
      break
    }
    const before = tails.get(key)
    const task = (async () => {
      if (before) await before
      await o.work(item, i)
    })()
    tails.set(key, task)
    const settled: Promise<void> = task.then(
      () => {
        done[i] = true
        const from = prefix
        while (done[prefix]) prefix++
        if (prefix > from) o.onPrefixDone?.(prefix - 1)
      },
      (error) => {
        failure ??= { error }
      },
    )
    inFlight.add(settled)
    void settled.then(() => {
      inFlight.delete(settled)
      if (tails.get(key) === task) tails.delete(key)
    })
  }
  await Promise.all(inFlight)
  if (failure) throw failure.error
}
