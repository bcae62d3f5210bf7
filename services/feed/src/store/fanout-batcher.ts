/**
 * Group commit for fan-out: calls that arrive while one batch is on its way to
 * Redis wait and go out together as the next batch (one script, see
 * FANOUT_BATCH_SCRIPT). An idle store sends a lone call at once, so batching adds
 * no latency when there is nothing to batch; under load the batches grow with the
 * load, up to `maxBatch`. Each caller's promise settles with its batch.
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
  let inFlight = false
  const drain = async () => {
    inFlight = true
    while (queue.length) {
      // One batch per prefix and cap (in practice there is one of each).
      const head = queue[0]!.item
      const batch: Waiting[] = []
      const rest: Waiting[] = []
      for (const w of queue) {
        const same = w.item.prefix === head.prefix && w.item.cap === head.cap
        if (same && batch.length < maxBatch) batch.push(w)
        else rest.push(w)
      }
      queue = rest
      try {
        await send(batch.map((w) => w.item))
        for (const w of batch) w.resolve()
      } catch (err) {
        for (const w of batch) w.reject(err)
      }
    }
    inFlight = false
  }
  return (item: FanOutItem): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject })
      if (!inFlight) void drain()
    })
}

/** The batch script's KEYS and ARGV for `items` (which share prefix and cap). */
export function fanOutBatchArgs(items: FanOutItem[]): { keys: string[]; args: string[] } {
  const first = items[0]!
  const args = [first.prefix, String(first.cap), String(items.length)]
  for (const i of items) args.push(String(i.score), i.member, String(i.extra.length), ...i.extra)
  return { keys: items.map((i) => i.setKey), args }
}
