/**
 * Batched fan-out: the calls made during one turn of the event loop go out
 * together, one script per batch (see FANOUT_BATCH_SCRIPT), sent at the end of
 * that turn. Under load a consumer's concurrent handlers resume together when
 * their pipelined replies arrive, so their fan-outs share a batch; a lone call
 * waits only for the turn to end. Batches do not wait for each other: an earlier
 * version sent the next batch only once the previous one was answered, which added
 * a round trip to a post's latency whenever two overlapped. Each caller's promise
 * settles with its batch.
 */

/** One post to fan out: to every member of `setKey` (as `<prefix><id>`) and to `extra`. */
export interface FanOutItem {
  setKey: string
  prefix: string
  extra: string[]
  score: number
  member: string
  cap: number
}

interface Waiting {
  item: FanOutItem
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * @param send writes one batch; items in it share `prefix` and `cap`.
 * @param maxBatch most items per batch (Lua's `unpack` bounds a batch's ZADD arguments).
 * @returns `fanOut(item)`, settled once the batch holding it was written (or failed).
 * @example const fanOut = fanOutBatcher((items) => evalBatch(items)); await fanOut({ setKey, prefix, extra: [], score, member, cap })
 */
export function fanOutBatcher(send: (items: FanOutItem[]) => Promise<void>, maxBatch = 64) {
  let queue: Waiting[] = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    const all = queue
    queue = []
    // One batch per prefix and cap (in practice there is one of each), at most maxBatch each.
    const groups = new Map<string, Waiting[][]>()
    for (const w of all) {
      const key = `${w.item.cap} ${w.item.prefix}`
      const batches = groups.get(key) ?? []
      const last = batches.at(-1)
      if (last && last.length < maxBatch) last.push(w)
      else batches.push([w])
      groups.set(key, batches)
    }
    for (const batches of groups.values())
      for (const batch of batches)
        send(batch.map((w) => w.item)).then(
          () => {
            for (const w of batch) w.resolve()
          },
          (err) => {
            for (const w of batch) w.reject(err)
          },
        )
  }
  return (item: FanOutItem): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject })
      if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
}

/** The batch script's KEYS and ARGV for `items` (which share prefix and cap). */
export function fanOutBatchArgs(items: FanOutItem[]): { keys: string[]; args: string[] } {
  const first = items[0]!
  const args = [first.prefix, String(first.cap), String(items.length)]
  for (const i of items) args.push(String(i.score), i.member, String(i.extra.length), ...i.extra)
  return { keys: items.map((i) => i.setKey), args }
}
