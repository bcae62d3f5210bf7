/**
 * The feed read model's storage: Redis-shaped primitives (sorted sets of post ids
 * scored by creation time, sets of user ids, post documents as JSON, event ids
 * remembered for a TTL, and a change log of edited posts as a Redis stream). Each
 * is one native command, or one server-side script for fan-out; pages are
 * assembled from them in `feed/page.ts`. Three adapters implement it: in-process,
 * Redis (Bun's RedisClient) and Upstash REST (@upstash/redis).
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
  /** Live comments on the post; set by the store from the post's comment set (see comment-count-script.ts). */
  commentCount?: number
  deleted?: boolean
}

/** One comment's state change, for {@link FeedStore.applyComment}. */
export interface CommentChange {
  /** The post's key. */
  post: string
  /** The set of the post's live comment ids. */
  live: string
  /** The set of the post's deleted comment ids (a deleted comment never comes back). */
  gone: string
  commentId: string
  deleted: boolean
}

/** A sorted-set member with its score. */
export interface ScoredMember {
  member: string
  score: number
}

/** An entry of the change log: its stream id (`<ms>-<seq>`, ordered) and the post id that changed. */
export interface ChangeEntry {
  id: string
  member: string
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
  /**
   * Stores a post. With `commentsKey`, its `commentCount` is the size of that set,
   * read in the same atomic step as the write (a concurrent comment is never lost).
   */
  setPost(key: string, post: FeedPost, commentsKey?: string): Promise<void>
  /**
   * Adds a comment id to the post's live set (unless it is in the deleted set) or
   * moves it to the deleted set, then sets the stored post's `commentCount`, all in
   * one atomic step. Resolves whether the stored post changed (false when the post
   * is not stored yet: its post.created will take the count).
   */
  applyComment(change: CommentChange): Promise<boolean>
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
  /**
   * The newest `limit` members of a sorted set with their scores, newest first (score
   * descending, then member descending); with `maxScore`, only members scored at most that.
   */
  latest(key: string, limit: number, maxScore?: number): Promise<ScoredMember[]>
  /** The members in both sets (SINTER). */
  intersect(a: string, b: string): Promise<string[]>
  /** Raw values of string keys, null where a key is missing (MGET). */
  getMany(keys: string[]): Promise<(string | null)[]>
  /**
   * Appends `member` to the change log `log` (XADD), keeping about its newest
   * `maxLen` entries. Entry ids increase; they are what readers compare.
   */
  appendChange(log: string, member: string, maxLen: number): Promise<void>
  /** The id of the newest change-log entry, or null when the log is empty or missing. */
  changeHead(log: string): Promise<string | null>
  /**
   * Up to `count` change-log entries after the entry id `after` (from the oldest kept
   * with null), oldest first, and the id of the oldest entry the log still keeps.
   */
  changesAfter(
    log: string,
    after: string | null,
    count: number,
  ): Promise<{ first: string | null; entries: ChangeEntry[] }>
  setAdd(key: string, member: string): Promise<boolean>
  setRemove(key: string, member: string): Promise<boolean>
  setMembers(key: string): Promise<string[]>
  setSize(key: string): Promise<number>
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

/**
 * Orders change-log (Redis stream) ids: negative when `a` is older than `b`.
 * Ids are `<ms>-<seq>` (https://redis.io/docs/latest/develop/data-types/streams/#entry-ids).
 */
export function compareChangeIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number)
  const [bm = 0, bs = 0] = b.split('-').map(Number)
  return am - bm || as - bs
}
