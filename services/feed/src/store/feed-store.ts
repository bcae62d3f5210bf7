/**
 * The feed read model's storage: Redis-shaped primitives (sorted sets of post ids
 * scored by creation time, sets of user ids, post documents as JSON, event-id
 * ids remembered for a TTL) plus one composite read that serves a feed page, including
 * the merge of followed high-follower authors and the post bodies, in a single
 * round trip. Three adapters implement it: in-process, Redis (Bun's RedisClient)
 * and Upstash REST (@upstash/redis).
 */

/**
 * A post as the feed holds it: exactly the API's FeedItem, so a page is the stored
 * JSON spliced together, with no parsing or re-rendering per read (the read model
 * shaped for its query). `deleted` marks a tombstone, kept under its own key for
 * version checks and never served.
 */
export interface FeedPost {
  id: string
  authorId: string
  body: string
  /** RFC 3339 (`toISOString`); the post's score in every feed is this time in ms since the epoch. */
  createdAt: string
  /** RFC 3339 (`toISOString`). */
  updatedAt: string
  version: number
  likeCount: number
  deleted?: boolean
}

/** One item of a page: the post's id and score, and the post as stored (FeedPost JSON text). */
export interface PageRow {
  id: string
  score: number
  json: string
}

/** One page query. Items come newest first: score descending, then id descending. */
export interface PageQuery {
  /** The feed's sorted set. */
  timeline: string
  /** Also merge the timelines of the authors in both `following` and `celebrities` (fan-out on read). */
  merge?: { following: string; celebrities: string; authorTimelinePrefix: string }
  postPrefix: string
  /** Exclusive position: items strictly after (older than) this score/id pair; null for the first page. */
  after: { score: number; id: string } | null
  limit: number
}

export interface FeedStore {
  /** Whether an event id was recorded as processed (within its TTL). */
  wasProcessed(key: string): Promise<boolean>
  /** Records an event id as processed for `ttlMs` (the de-duplication window). */
  markProcessed(key: string, ttlMs: number): Promise<void>
  /** A small string value (read-model metadata such as the consumer group). */
  getMeta(key: string): Promise<string | null>
  setMeta(key: string, value: string): Promise<void>
  getPost(key: string): Promise<FeedPost | null>
  setPost(key: string, post: FeedPost): Promise<void>
  deletePost(key: string): Promise<void>
  /** Adds `member` with `score` to every set in `keys`, each trimmed to its newest `cap` members. */
  add(keys: string[], score: number, member: string, cap: number): Promise<void>
  /** Removes `member` from every set in `keys`. */
  remove(keys: string[], member: string): Promise<void>
  /**
   * Fan-out in one call: adds `member` to `<prefix><id>` for every id in the set
   * `setKey`, and to every key in `extra`, each trimmed to `cap` (on Redis, one
   * server-side script instead of two commands per follower).
   */
  fanOut(
    setKey: string,
    prefix: string,
    extra: string[],
    score: number,
    member: string,
    cap: number,
  ): Promise<void>
  /** Removes `member` from `<prefix><id>` for every id in `setKey`, and from every key in `extra`. */
  fanOutRemove(setKey: string, prefix: string, extra: string[], member: string): Promise<void>
  /** Merges every member of `source` into `target` (keeping the higher score), then trims `target` to `cap`. */
  mergeInto(target: string, source: string, cap: number): Promise<void>
  /** The newest `limit` members of a sorted set, with scores. */
  latest(key: string, limit: number): Promise<{ member: string; score: number }[]>
  setAdd(key: string, member: string): Promise<boolean>
  setRemove(key: string, member: string): Promise<boolean>
  setMembers(key: string): Promise<string[]>
  setSize(key: string): Promise<number>
  /** A feed page, posts included as stored JSON, skipping ids whose post is missing (deleted posts are not kept under the post prefix). */
  page(q: PageQuery): Promise<PageRow[]>
  /** Deletes every key under `prefix` (rebuild). */
  clear(prefix: string): Promise<void>
  close(): Promise<void>
}

/** Newest first: score descending, then id descending. */
export function compareNewestFirst(
  a: { score: number; id: string },
  b: { score: number; id: string },
): number {
  if (a.score !== b.score) return b.score - a.score
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0
}

/** Whether `item` comes after (is older than) the cursor position. */
export function isAfter(
  item: { score: number; id: string },
  after: { score: number; id: string } | null,
): boolean {
  return after === null || compareNewestFirst(after, item) < 0
}
