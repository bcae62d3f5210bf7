/**
 * Applies post, comment and follow events to the read model (the CQRS read side).
 *
 * - Idempotent: processed event ids are remembered for a bounded window
 *   (duplicates are skipped), and post content only moves forward by `version`, so
 *   a stale or replayed post.updated never overwrites a newer body.
 * - Fan-out on write: a new post goes to the global feed, its author's timeline,
 *   and the home feed of each follower (and the author).
 * - Fan-out on read for authors with more followers than `fanOutThreshold`: their
 *   posts are not copied into home feeds (one popular author cannot stall the
 *   consumer); readers merge those authors' timelines at query time.
 * - Every edit, like and delete of a stored post is appended to the change log after
 *   the body is written, which keeps the feed instances' body caches coherent.
 * - Deletes remove the post everywhere (a tombstone keeps its version); unfollows
 *   remove the author's posts from the follower's home feed; a follow merges the
 *   author's whole timeline in, so a home feed is the union of the followed
 *   timelines whatever order the post and follow topics are consumed in.
 * - Comments count per post from sets of live and deleted comment ids (see
 *   store/comment-count-script.ts): duplicates, redeliveries and a comment arriving
 *   before its post all end in the same count.
 */
import { type CloudEvent, eventData, type Logger, type Metrics } from '@civildiy/kit'
import {
  CommentCreated,
  CommentDeleted,
  CommentUpdated,
  PostCreated,
  PostDeleted,
  PostLiked,
  PostUnliked,
  PostUpdated,
} from '@civildiy/posts/events'
import { UserFollowed, UserUnfollowed } from '@civildiy/profile/events'
import type { FeedPost, FeedStore } from '../store/feed-store.ts'
import type { FeedKeys } from './keys.ts'

export interface FeedSettings {
  /** Posts kept per home feed. */
  homeCap: number
  /** Posts kept in the global feed. */
  globalCap: number
  /** Posts kept per author timeline (merged into a new follower's home feed). */
  authorCap: number
  /** Authors with more followers than this are read-merged, not fanned out. */
  fanOutThreshold: number
  /** How long event ids are remembered for de-duplication, ms. */
  dedupWindowMs: number
  /** About how many entries the change log keeps (body caches that fall further behind start over). */
  changeLogCap: number
}

export const defaultFeedSettings: FeedSettings = {
  homeCap: 800,
  globalCap: 1_000,
  authorCap: 500,
  fanOutThreshold: 1_000,
  dedupWindowMs: 24 * 3600_000,
  changeLogCap: 100_000,
}

export type Outcome = 'applied' | 'duplicate' | 'stale' | 'ignored'

export interface Projector {
  /** Applies one event. Throws on storage errors (the consumer retries, then dead-letters). */
  apply(event: CloudEvent): Promise<Outcome>
  /** Event types this projector handles. */
  types: string[]
  /**
   * What must be applied in order (see the kit's `orderingKey`): a post's events
   * by post id; follows by followee, which keeps the high-follower bookkeeping
   * (follower count against the threshold) free of races. Anything else commutes.
   */
  orderingKey(event: CloudEvent): string
}

/** An event's date-time as the read model stores it (`toISOString`), whatever offset the event used. */
function rfc3339(dateTime: string): string {
  return new Date(Date.parse(dateTime)).toISOString()
}

export function createProjector(
  store: FeedStore,
  k: FeedKeys,
  s: FeedSettings,
  logger?: Logger,
  metrics?: Metrics,
): Projector {
  // Event time (the write the user made) to applied in the read model: what a reader waits.
  const propagation = metrics?.histogram(
    'feed_propagation_delay_seconds',
    'From an event’s time to its projection into the read model, by event type',
    ['cloudevents_event_type'] as const,
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  )
  /** The live post, or its tombstone, or null. */
  const stateOf = async (postId: string) => {
    const [live, gone] = await Promise.all([
      store.getPost(k.post(postId)),
      store.getPost(k.gone(postId)),
    ])
    return live ?? gone
  }

  /** Tells body caches that a stored post changed; always after the write itself. */
  const changed = (postId: string) => store.appendChange(k.changes, postId, s.changeLogCap)

  const onCreated = async (event: CloudEvent): Promise<Outcome> => {
    const d = eventData(PostCreated, event)
    const existing = await stateOf(d.postId)
    if (existing?.deleted) return 'stale'
    const createdAt = Date.parse(d.createdAt)
    const createdAtText = new Date(createdAt).toISOString()
    const overwrites = existing !== null && existing.version < d.version
    // Independent writes, sent together (one pipelined round trip on Redis).
    const [followers] = await Promise.all([
      store.setSize(k.followers(d.authorId)),
      !existing || existing.version < d.version
        ? store.setPost(
            k.post(d.postId),
            {
              id: d.postId,
              authorId: d.authorId,
              body: d.body,
              createdAt: createdAtText,
              updatedAt: createdAtText,
              version: d.version,
              likeCount: existing?.likeCount ?? 0,
            },
            k.comments(d.postId),
          )
        : undefined,
      store.add([k.global], createdAt, d.postId, s.globalCap),
      store.add([k.author(d.authorId)], createdAt, d.postId, s.authorCap),
    ])
    if (overwrites) await changed(d.postId)
    if (followers > s.fanOutThreshold)
      await store.add([k.home(d.authorId)], createdAt, d.postId, s.homeCap)
    else
      await store.fanOut(
        k.followers(d.authorId),
        k.homePrefix,
        [k.home(d.authorId)],
        createdAt,
        d.postId,
        s.homeCap,
      )
    return 'applied'
  }

  /** Moves a post's content forward when `version` is newer; returns the stored post or null when stale/unknown. */
  const advance = async (
    postId: string,
    version: number,
    change: (p: FeedPost) => FeedPost,
  ): Promise<Outcome> => {
    const existing = await stateOf(postId)
    // post.created comes first on the post's partition; anything else without it is a leftover of a deleted, compacted post.
    if (!existing) return 'ignored'
    if (existing.deleted || existing.version >= version) return 'stale'
    await store.setPost(k.post(postId), { ...change(existing), version }, k.comments(postId))
    await changed(postId)
    return 'applied'
  }

  const onDeleted = async (event: CloudEvent): Promise<Outcome> => {
    const d = eventData(PostDeleted, event)
    const existing = await stateOf(d.postId)
    // The same delete again (a redelivery after a crash mid-way) re-runs the removals,
    // which are idempotent, so a half-applied delete gets finished.
    if (
      existing &&
      (existing.version > d.version || (existing.version === d.version && !existing.deleted))
    )
      return 'stale'
    const at = rfc3339(d.deletedAt)
    await store.setPost(k.gone(d.postId), {
      id: d.postId,
      authorId: d.authorId,
      body: '',
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      version: d.version,
      likeCount: 0,
      deleted: true,
    })
    await store.deletePost(k.post(d.postId))
    await changed(d.postId)
    await store.remove([k.global, k.author(d.authorId)], d.postId)
    await store.fanOutRemove(k.followers(d.authorId), k.homePrefix, [k.home(d.authorId)], d.postId)
    return 'applied'
  }

  const onFollowed = async (event: CloudEvent): Promise<Outcome> => {
    const d = eventData(UserFollowed, event)
    await store.setAdd(k.followers(d.followeeId), d.followerId)
    await store.setAdd(k.following(d.followerId), d.followeeId)
    if ((await store.setSize(k.followers(d.followeeId))) > s.fanOutThreshold) {
      await store.setAdd(k.celebrities, d.followeeId)
      return 'applied'
    }
    // The whole (capped) timeline, so a home feed is the union of followed timelines
    // whether a post or the follow was applied first (the topics are not ordered).
    await store.mergeInto(k.home(d.followerId), k.author(d.followeeId), s.homeCap)
    return 'applied'
  }

  const onUnfollowed = async (event: CloudEvent): Promise<Outcome> => {
    const d = eventData(UserUnfollowed, event)
    await store.setRemove(k.followers(d.followeeId), d.followerId)
    await store.setRemove(k.following(d.followerId), d.followeeId)
    if ((await store.setSize(k.followers(d.followeeId))) <= s.fanOutThreshold)
      await store.setRemove(k.celebrities, d.followeeId)
    for (const { member } of await store.latest(k.author(d.followeeId), s.authorCap))
      await store.remove([k.home(d.followerId)], member)
    return 'applied'
  }

  /** A comment exists (created or edited) or is gone; the post's count follows. */
  const onComment = async (
    d: { postId: string; commentId: string },
    deleted: boolean,
  ): Promise<Outcome> => {
    const postChanged = await store.applyComment({
      post: k.post(d.postId),
      live: k.comments(d.postId),
      gone: k.commentsGone(d.postId),
      commentId: d.commentId,
      deleted,
    })
    if (postChanged) await changed(d.postId)
    return 'applied'
  }

  const handlers: Record<string, (e: CloudEvent) => Promise<Outcome>> = {
    [PostCreated.type]: onCreated,
    [PostUpdated.type]: (e) => {
      const d = eventData(PostUpdated, e)
      return advance(d.postId, d.version, (p) => ({
        ...p,
        body: d.body,
        updatedAt: rfc3339(d.updatedAt),
      }))
    },
    [PostLiked.type]: (e) => {
      const d = eventData(PostLiked, e)
      return advance(d.postId, d.version, (p) => ({ ...p, likeCount: d.likeCount }))
    },
    [PostUnliked.type]: (e) => {
      const d = eventData(PostUnliked, e)
      return advance(d.postId, d.version, (p) => ({ ...p, likeCount: d.likeCount }))
    },
    [PostDeleted.type]: onDeleted,
    [CommentCreated.type]: (e) => onComment(eventData(CommentCreated, e), false),
    [CommentUpdated.type]: (e) => onComment(eventData(CommentUpdated, e), false),
    [CommentDeleted.type]: (e) => onComment(eventData(CommentDeleted, e), true),
    [UserFollowed.type]: onFollowed,
    [UserUnfollowed.type]: onUnfollowed,
  }

  return {
    types: Object.keys(handlers),
    orderingKey(event) {
      const data = (event.data ?? {}) as { postId?: unknown; followeeId?: unknown }
      if (typeof data.postId === 'string') return `post:${data.postId}`
      if (typeof data.followeeId === 'string') return `followee:${data.followeeId}`
      return `event:${event.id}`
    },
    async apply(event) {
      const handler = handlers[event.type]
      if (!handler) return 'ignored'
      if (await store.wasProcessed(k.event(event.id))) return 'duplicate'
      // Apply first, record after: a crash in between re-applies the event on
      // redelivery (harmless: every write is idempotent or version-checked), whereas
      // recording first would lose it.
      const outcome = await handler(event)
      await store.markProcessed(k.event(event.id), s.dedupWindowMs)
      const written = Date.parse(event.time)
      if (outcome === 'applied' && propagation && Number.isFinite(written))
        propagation.observe(
          { cloudevents_event_type: event.type },
          Math.max(0, Date.now() - written) / 1000,
        )
      if (outcome !== 'applied')
        logger?.debug({ eventId: event.id, type: event.type, outcome }, 'event not applied')
      return outcome
    },
  }
}
