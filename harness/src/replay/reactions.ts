/**
 * The replay's reactions to one post, from the real graph: its author's
 * followers (real follow edges of the data set) comment on it with real texts and
 * like it. Comments are timed until the post's count in the author's home feed
 * includes them and until the author's live socket pushes them; likes until the
 * socket pushes them.
 */
import type { Arrivals } from '../check/arrivals.ts'
import { measureCommentPropagation } from '../check/comment-propagation.ts'
import type { Session, StackClient } from '../client/stack-client.ts'
import { measureLikePropagation } from './like-propagation.ts'

export interface Reactions {
  /** Comment 201 → counted in the post's `commentCount` in the author's home feed. */
  comments: Arrivals
  /** Comment 201 → pushed on the author's live socket; null with no follower to comment. */
  notifications: Arrivals | null
  /** Like 200 → pushed on the author's live socket; null with no follower to like. */
  likes: Arrivals | null
  failures: string[]
}

/**
 * @param followers the author's followers in the graph; up to `count` of them react (the author alone comments when there are none).
 * @throws ApiError when a write is refused.
 * @example await measureReactions(api, { author, followers, texts, count: 20, ratePerSec: 10, timeoutMs: 15_000 })
 */
export async function measureReactions(
  api: StackClient,
  o: {
    author: Session
    followers: readonly Session[]
    texts: readonly string[]
    count: number
    ratePerSec: number
    timeoutMs: number
  },
): Promise<Reactions> {
  const post = await api.createPost(o.author, o.texts[0]!.slice(0, 4_000))
  const reactors = o.followers.filter((s) => s.userId !== o.author.userId).slice(0, o.count)
  const run = await measureCommentPropagation(api, {
    commenters: reactors.length ? reactors : [o.author],
    // Notifications need someone else's comments.
    postAuthor: reactors.length ? o.author : undefined,
    // The author's own home feed holds the post whoever follows whom.
    reader: o.author,
    postId: post.id,
    bodies: Array.from({ length: o.count }, (_, i) =>
      o.texts[(i + 1) % o.texts.length]!.slice(0, 2_000),
    ),
    ratePerSec: o.ratePerSec,
    timeoutMs: o.timeoutMs,
  })
  const likes = reactors.length
    ? await measureLikePropagation(api, {
        author: o.author,
        postId: post.id,
        likers: reactors,
        ratePerSec: o.ratePerSec,
        timeoutMs: o.timeoutMs,
      })
    : null
  const lost = (what: string, a: Arrivals | null) =>
    a?.lost.length ? [`${a.lost.length} ${what}: ${a.lost.slice(0, 10).join(', ')}`] : []
  return {
    comments: run.counted,
    notifications: run.pushed,
    likes,
    failures: [
      ...lost('comments were never counted in the feed', run.counted),
      ...lost('comment notifications were never pushed', run.pushed),
      ...lost('like notifications were never pushed (by liker)', likes),
    ],
  }
}
