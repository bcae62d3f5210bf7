/**
 * Event propagation as a user sees it: each post is timed from its 201 (the write
 * side accepted it) to its first appearance in the global feed and in a
 * follower's home feed, both read back to back through the gateway. A post not
 * seen within the timeout is lost and reported by id.
 */
import type { FeedItem, Session, StackClient } from '../client/stack-client.ts'
import { type Summary, summarize } from '../report/stats.ts'
import { pageBack } from './page-back.ts'

export interface PlannedPost {
  author: Session
  body: string
  /** A follower of the author whose home feed must show the post (optional). */
  watcher?: Session
}

export interface PropagationResult {
  sent: number
  /** ms from 201 to first seen in the global feed. */
  global: Summary | null
  /** ms from 201 to first seen in the watcher's home feed. */
  home: Summary | null
  lostGlobal: string[]
  lostHome: string[]
  /** Posts the write side refused (status and message). */
  writeErrors: string[]
  /** Each accepted post: s from the first send to its 201, and ms until seen (null: never). */
  timeline: PropagationPoint[]
}

/** One accepted post in the timeline of a propagation run. */
export interface PropagationPoint {
  acceptedAtS: number
  globalMs: number | null
  /** Only for posts whose author has a watched follower. */
  homeMs: number | null
}

/**
 * Sends `posts` at `ratePerSec` and watches the feeds until each is seen or
 * `timeoutMs` passed after the last 201.
 * @example await measurePropagation(api, planned, { ratePerSec: 10, timeoutMs: 15_000 })
 */
export async function measurePropagation(
  api: StackClient,
  posts: readonly PlannedPost[],
  o: { ratePerSec: number; timeoutMs: number; onProgress?: (seen: number, sent: number) => void },
): Promise<PropagationResult> {
  const acceptedAt = new Map<string, number>()
  const watcherOf = new Map<string, Session>()
  const seenGlobal = new Map<string, number>()
  const seenHome = new Map<string, number>()
  const writeErrors: string[] = []
  const watchers = [...new Set(posts.flatMap((p) => (p.watcher ? [p.watcher] : [])))]
  // Per feed, the posts it has yet to show with their createdAt (ms since the epoch,
  // the posts service's clock): a sweep looks only at these, so its cost follows
  // the backlog, not the number of posts sent so far.
  const unseenGlobal = new Map<string, number>()
  const unseenHome = new Map<Session, Map<string, number>>(watchers.map((w) => [w, new Map()]))
  let sending = true
  let lastAccepted = performance.now()

  const record = (items: FeedItem[], unseen: Map<string, number>, seen: Map<string, number>) => {
    const now = performance.now()
    for (const i of items) if (unseen.delete(i.id)) seen.set(i.id, now)
  }
  const pending = () => unseenGlobal.size > 0 || [...unseenHome.values()].some((u) => u.size > 0)
  /** Reads a feed back past the oldest post still unseen there (see pageBack). */
  const sweep = async (
    session: Session | null,
    unseen: Map<string, number>,
    seen: Map<string, number>,
  ) => {
    // Nothing to wait for here: reading would only load the stack being measured.
    if (unseen.size === 0) return
    let oldest = Number.POSITIVE_INFINITY
    for (const at of unseen.values()) oldest = Math.min(oldest, at)
    // Both times are the posts service's own, so no allowance for clock skew is needed.
    // The first page is small: a watcher that keeps up needs only the newest posts,
    // and every byte it reads is load on the stack it measures.
    await pageBack(
      (cursor) => api.page(session, cursor ? 100 : 20, cursor),
      oldest,
      (items) => record(items, unseen, seen),
    )
  }
  const watching = (async () => {
    while (sending || (pending() && performance.now() - lastAccepted < o.timeoutMs)) {
      const reads = [
        sweep(null, unseenGlobal, seenGlobal),
        ...watchers.map((w) => sweep(w, unseenHome.get(w)!, seenHome)),
      ]
      await Promise.allSettled(reads)
      o.onProgress?.(seenGlobal.size, acceptedAt.size)
      await Bun.sleep(5)
    }
  })()

  const t0 = performance.now()
  const inflight = new Set<Promise<void>>()
  for (let i = 0; i < posts.length; i++) {
    const due = t0 + (i * 1000) / o.ratePerSec
    const wait = due - performance.now()
    if (wait > 0) await Bun.sleep(wait)
    const p = posts[i]!
    const send = api
      .createPost(p.author, p.body)
      .then(({ id, createdAt }) => {
        const created = Date.parse(createdAt)
        acceptedAt.set(id, performance.now())
        unseenGlobal.set(id, created)
        lastAccepted = performance.now()
        if (p.watcher) {
          watcherOf.set(id, p.watcher)
          unseenHome.get(p.watcher)!.set(id, created)
        }
      })
      .catch((err: Error) => void writeErrors.push(err.message))
    inflight.add(send)
    void send.finally(() => inflight.delete(send))
  }
  await Promise.all(inflight)
  sending = false
  await watching

  const latencies = (seen: Map<string, number>, ids: string[]) =>
    ids.flatMap((id) => (seen.has(id) ? [seen.get(id)! - acceptedAt.get(id)!] : []))
  const all = [...acceptedAt.keys()]
  const watched = [...watcherOf.keys()]
  const g = latencies(seenGlobal, all)
  const h = latencies(seenHome, watched)
  return {
    sent: acceptedAt.size,
    global: g.length ? summarize(g) : null,
    home: h.length ? summarize(h) : null,
    lostGlobal: all.filter((id) => !seenGlobal.has(id)),
    lostHome: watched.filter((id) => !seenHome.has(id)),
    writeErrors,
    timeline: all.map((id) => ({
      acceptedAtS: Math.round(acceptedAt.get(id)! - t0) / 1000,
      globalMs: seenGlobal.has(id) ? seenGlobal.get(id)! - acceptedAt.get(id)! : null,
      homeMs: seenHome.has(id) ? seenHome.get(id)! - acceptedAt.get(id)! : null,
    })),
  }
}
