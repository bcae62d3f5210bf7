/**
 * Assembles one feed page from the store's native reads: the newest rows of the
 * timeline (and, for a home feed, of each followed high-follower author, merged at
 * read time), then the post bodies. Every source is read `want` rows deep; when a
 * page cannot be filled from what was read (deleted posts, a long run of rows tied
 * with the cursor, or a merge that ran past a source's last row) every source is
 * read twice as deep. A missing body is a deleted post and is skipped.
 */
import { compareNewestFirst, type FeedStore, isAfter } from '../store/feed-store.ts'

/** One page query. Items come newest first: score descending, then id descending. */
export interface PageQuery {
  /** The feed's sorted set. */
  timeline: string
  /** Also merge the timelines of the authors in both `following` and `celebrities` (fan-out on read). */
  merge?: { following: string; celebrities: string; authorTimelinePrefix: string }
  /** Exclusive position: items strictly after (older than) this score/id pair; null for the first page. */
  after: { score: number; id: string } | null
  limit: number
}

/** One item of a page: the post's id and score, and the post as stored (FeedPost JSON text). */
export interface PageRow {
  id: string
  score: number
  json: string
}

/** Post bodies by post id, null where a post is gone: the store's MGET, or the body cache in front of it. */
export type BodyLookup = (ids: string[]) => Promise<(string | null)[]>

/** Gives a page read its body lookup; `open` runs beside the page's first timeline read. */
export interface BodySource {
  open(): Promise<BodyLookup>
}

/** Bodies straight from the store (keys `postPrefix` + id), one MGET per batch. */
export function storeBodies(store: FeedStore, postPrefix: string): BodySource {
  const lookup: BodyLookup = (ids) => store.getMany(ids.map((id) => `${postPrefix}${id}`))
  return { open: async () => lookup }
}

type Row = { id: string; score: number }

/**
 * The rows that can be placed: every source merged newest first, once per id, after
 * the cursor, and no older than the last row of any source that was read to its
 * full depth (what lies past that row in that source was not read).
 */
function placeable(lists: Row[][], want: number, after: PageQuery['after']): Row[] {
  // One timeline is already in page order, each id once.
  if (lists.length === 1) return after ? lists[0]!.filter((r) => isAfter(r, after)) : lists[0]!
  let bound: Row | null = null
  for (const list of lists) {
    const last = list.at(-1)
    if (list.length === want && last && (!bound || compareNewestFirst(last, bound) < 0))
      bound = last
  }
  const rows = lists.flat().sort(compareNewestFirst)
  const seen = new Set<string>()
  const out: Row[] = []
  for (const row of rows) {
    if (bound && compareNewestFirst(row, bound) > 0) break
    if (seen.has(row.id) || !isAfter(row, after)) continue
    seen.add(row.id)
    out.push(row)
  }
  return out
}

/**
 * Reads one page: up to `q.limit` rows with their bodies, newest first.
 * @throws what the store throws.
 * @example const rows = await readPage(store, { timeline: k.global, after: null, limit: 21 }, storeBodies(store, k.postPrefix))
 */
export async function readPage(
  store: FeedStore,
  q: PageQuery,
  bodies: BodySource,
): Promise<PageRow[]> {
  const max = q.after?.score
  let want = q.limit + 1
  const read = (key: string) =>
    store.latest(key, want, max).then((rows) => rows.map((r) => ({ id: r.member, score: r.score })))
  // The timeline, the followed high-follower authors and the body source's own read go
  // out together: one pipelined round trip on Redis.
  const [home, stars, lookup] = await Promise.all([
    read(q.timeline),
    q.merge ? store.intersect(q.merge.following, q.merge.celebrities) : [],
    bodies.open(),
  ])
  const sources = [q.timeline, ...stars.map((id) => `${q.merge!.authorTimelinePrefix}${id}`)]
  let lists = [home, ...(await Promise.all(sources.slice(1).map(read)))]
  for (;;) {
    const rows = placeable(lists, want, q.after)
    const out: PageRow[] = []
    for (let i = 0; out.length < q.limit && i < rows.length; ) {
      const batch = rows.slice(i, i + q.limit - out.length)
      i += batch.length
      const docs = await lookup(batch.map((r) => r.id))
      for (const [j, row] of batch.entries()) {
        const json = docs[j]
        if (json) out.push({ id: row.id, score: row.score, json })
      }
    }
    if (out.length >= q.limit || !lists.some((l) => l.length === want)) return out
    want *= 2
    lists = await Promise.all(sources.map(read))
  }
}
