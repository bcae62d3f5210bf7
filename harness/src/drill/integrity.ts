/**
 * What a drill checks after its fault: every post the stack accepted (201) is in
 * the global feed and in its watcher's home feed, no post appears twice in either,
 * and no accepted body was stored twice (a POST sent twice). Waits up to
 * `timeoutMs` for the feeds to catch up, reading them back to back, and says how
 * long that took.
 */
import type { FeedItem, Session, StackClient } from '../client/stack-client.ts'
import type { AcceptedPost } from './load.ts'

export interface IntegrityResult {
  /** Accepted posts still missing from a feed when the time ran out (ids). */
  lost: string[]
  /** Posts listed more than once in one feed, plus accepted bodies stored twice. */
  duplicates: number
  /** Ms from the call until every accepted post was visible, or null if never. */
  completeAfterMs: number | null
}

/** Every item of a feed, newest first, by following cursors (at most `max` items). */
async function readAll(
  api: StackClient,
  session: Session | null,
  max: number,
): Promise<FeedItem[]> {
  const items: FeedItem[] = []
  let cursor: string | null = null
  do {
    const page = await api.page(session, 100, cursor)
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor && items.length < max)
  return items
}

function duplicatesIn(feeds: FeedItem[][], accepted: readonly AcceptedPost[]): number {
  let n = feeds.reduce((sum, f) => sum + f.length - new Set(f.map((x) => x.id)).size, 0)
  // Every accepted body is unique: one stored under two ids means a POST was sent twice.
  const ours = new Set(accepted.map((p) => p.body))
  const bodies = feeds[0]!.filter((x) => ours.has(x.body)).map((x) => x.body)
  n += bodies.length - new Set(bodies).size
  return n
}

/**
 * @param watchers the session following each author, by author id.
 * @example await checkIntegrity(api, load.accepted, watchers, 30_000)
 */
export async function checkIntegrity(
  api: StackClient,
  accepted: readonly AcceptedPost[],
  watchers: ReadonlyMap<string, Session>,
  timeoutMs: number,
): Promise<IntegrityResult> {
  const t0 = performance.now()
  const max = accepted.length * 2 + 500
  const sessions = [...new Set(watchers.values())]
  let missing: string[] = accepted.map((p) => p.id)
  let duplicates = 0
  for (;;) {
    const feeds = await Promise.all([
      readAll(api, null, max),
      ...sessions.map((w) => readAll(api, w, max)),
    ]).catch(() => null)
    if (feeds) {
      const global = new Set(feeds[0]!.map((i) => i.id))
      const homes = new Map(
        sessions.map((w, i) => [w.userId, new Set(feeds[i + 1]!.map((x) => x.id))]),
      )
      missing = accepted
        .filter((p) => {
          const home = homes.get(watchers.get(p.authorId)?.userId ?? '')
          return !global.has(p.id) || (home !== undefined && !home.has(p.id))
        })
        .map((p) => p.id)
      duplicates = duplicatesIn(feeds, accepted)
      if (missing.length === 0)
        return { lost: [], duplicates, completeAfterMs: Math.round(performance.now() - t0) }
    }
    if (performance.now() - t0 > timeoutMs)
      return { lost: missing, duplicates, completeAfterMs: null }
    await Bun.sleep(250)
  }
}
