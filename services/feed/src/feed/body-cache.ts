/**
 * An in-process cache of post bodies (FeedPost JSON), kept coherent by the read
 * model's change log rather than by the events this instance happens to consume:
 * feed instances share one consumer group, so each applies only some of the
 * edits, likes and deletes, but every one of them appends the post id to the log
 * after writing the body.
 *
 * Each page read takes the log's head together with the timeline (one round trip)
 * and, when the head moved, first drops every post named by the entries it has not
 * seen yet. A body is served from the cache only when it was fetched after the
 * last change to that post that the reader's head covers, so an edit, like or
 * delete applied before a read started is visible to that read. The cache never
 * answers for timelines: it is asked only for the bodies of rows the page read
 * from the store.
 *
 * When the log no longer holds the last entry the cache saw (trimmed, or the read
 * model was rebuilt or lost), or the model's build changed (its consumer group,
 * the `epoch` key), the whole cache is dropped.
 */
import type { Metrics } from '@civildiy/kit'
import { compareChangeIds, type FeedStore } from '../store/feed-store.ts'
import type { FeedKeys } from './keys.ts'
import type { BodyLookup, BodySource } from './page.ts'

export interface BodyCacheOptions {
  /** The change log's key. */
  log: string
  /** The key prefix of post bodies (the cache and the log name posts by id). */
  postPrefix: string
  /** Bodies kept; the oldest inserted go first. */
  maxEntries: number
  /** Change-log entries read per round trip while catching up. Default 1000. */
  batch?: number
  /**
   * The key naming the model's build (the read model's consumer group, which a
   * rebuild replaces), read with the log's head. When its value changes the
   * cache starts over: a log recreated within the same millisecond can repeat the
   * ids the cache already saw, so ids alone cannot tell a rebuilt log.
   */
  epoch?: string
  /** Adds `feed_body_cache_lookups_total{result}`, `feed_body_cache_resets_total` and `feed_body_cache_entries`. */
  metrics?: Metrics
}

export interface BodyCache extends BodySource {
  /** Bodies held now. */
  size(): number
  /** Times the whole cache was dropped because the log lost its place. */
  resets(): number
}

/** @example const bodies = createBodyCache(store, { log: keys.changes, postPrefix: keys.postPrefix, maxEntries: 50_000 }) */
export function createBodyCache(store: FeedStore, o: BodyCacheOptions): BodyCache {
  const batch = o.batch ?? 1_000
  const bodies = new Map<string, string>()
  /** The newest log entry applied; undefined before the first sync, null when the log was empty. */
  let seen: string | null | undefined
  /** The `epoch` value the cached bodies belong to. */
  let seenEpoch: string | null | undefined
  /** Bumped whenever bodies may have gone stale, so a fetch that raced it is not kept. */
  let generation = 0
  let resets = 0
  let syncing: Promise<void> = Promise.resolve()
  const lookups = o.metrics?.counter(
    'feed_body_cache_lookups_total',
    'Post bodies asked of the body cache, by result (hit, miss)',
    ['result'] as const,
  )
  // Children made once: prom-client hashes the labels on every inc otherwise (a page read's hot path).
  const hits = lookups?.labels({ result: 'hit' })
  const misses = lookups?.labels({ result: 'miss' })
  const resetCount = o.metrics?.counter(
    'feed_body_cache_resets_total',
    'Times the body cache was dropped because the change log no longer held its place',
    [],
  )
  o.metrics?.gauge('feed_body_cache_entries', 'Post bodies held in the body cache', [], (g) =>
    g.set(bodies.size),
  )

  const reset = (head: string | null) => {
    if (seen !== undefined) {
      resets++
      resetCount?.inc()
    }
    bodies.clear()
    seen = head
    generation++
  }
  const catchUp = async (head: string | null) => {
    if (seen === undefined || seen === null || head === null) return reset(head)
    while (compareChangeIds(seen, head) < 0) {
      const { first, entries } = await store.changesAfter(o.log, seen, batch)
      // The entry last seen was trimmed away: what changed since cannot be known.
      if (first === null || compareChangeIds(first, seen) > 0) return reset(head)
      for (const e of entries) bodies.delete(e.member)
      generation++
      if (entries.length === 0) return reset(head)
      seen = entries.at(-1)!.id
    }
  }
  const sync = (head: string | null, epoch: string | null) => {
    if (seen !== undefined && head === seen && epoch === seenEpoch) return
    const run = syncing.then(() => {
      if (epoch !== seenEpoch) {
        seenEpoch = epoch
        return reset(head)
      }
      // Another read may have brought the cache up to (or past) this head already.
      if (seen !== undefined && seen !== null && head !== null && compareChangeIds(head, seen) <= 0)
        return
      return catchUp(head)
    })
    // A failed catch-up fails this read only; the next read starts from what was applied.
    syncing = run.catch(() => {})
    return run
  }

  const lookup: BodyLookup = async (ids) => {
    const out: (string | null)[] = []
    const missing: number[] = []
    for (let i = 0; i < ids.length; i++) {
      const hit = bodies.get(ids[i]!)
      out.push(hit ?? null)
      if (hit === undefined) missing.push(i)
    }
    hits?.inc(ids.length - missing.length)
    misses?.inc(missing.length)
    if (!missing.length) return out
    const at = generation
    const docs = await store.getMany(missing.map((i) => `${o.postPrefix}${ids[i]}`))
    for (const [j, i] of missing.entries()) {
      const doc = docs[j] ?? null
      out[i] = doc
      if (doc === null || at !== generation) continue
      bodies.set(ids[i]!, doc)
      if (bodies.size > o.maxEntries) bodies.delete(bodies.keys().next().value!)
    }
    return out
  }

  return {
    async open() {
      // Sent together: the Redis and Upstash clients pipeline them in one round trip.
      const [head, epoch] = await Promise.all([
        store.changeHead(o.log),
        o.epoch ? store.getMeta(o.epoch) : null,
      ])
      await sync(head, epoch)
      return lookup
    },
    size: () => bodies.size,
    resets: () => resets,
  }
}

/**
 * The body cache a feed instance reads through, from its settings: none when
 * `maxEntries` (FEED_BODY_CACHE_ENTRIES) is 0, else one on the model's change log.
 * @example const bodies = openBodyCache(store, keys, c.FEED_BODY_CACHE_ENTRIES, ctx.metrics)
 */
export function openBodyCache(
  store: FeedStore,
  keys: FeedKeys,
  maxEntries: number,
  metrics?: Metrics,
): BodyCache | undefined {
  if (maxEntries <= 0) return undefined
  return createBodyCache(store, {
    log: keys.changes,
    postPrefix: keys.postPrefix,
    epoch: keys.consumerGroup,
    maxEntries,
    metrics,
  })
}
