/**
 * Comment propagation as readers see it: comments on one post, each timed from
 * its 201 until the post's `commentCount` in the reader's home feed counts it (the
 * comment event went through the posts outbox, `civildiy.comments` and the feed's
 * projector) and, with the post's author given, until the author's live
 * notifications socket (a WebSocket through the gateway) pushed it. A comment
 * never counted, or never pushed, within the timeout is lost and reported by id.
 */
import type { Session, StackClient } from '../client/stack-client.ts'
import { type Arrivals, timeUntil, toArrivals } from './arrivals.ts'
import { openLiveNotifications } from './live-notifications.ts'

export interface CommentPropagation {
  /** 201 → counted in the reader's home feed. */
  counted: Arrivals
  /** 201 → pushed to the post author's socket; null without `postAuthor`. */
  pushed: Arrivals | null
}

/**
 * Writes one comment per body on `postId` (which has no comments yet) at
 * `ratePerSec`. Counts only grow here, so the i-th comment is counted once the
 * post shows at least i.
 * @throws ApiError when a comment is refused (the write side failed, not the
 *   readers); an Error when the live socket does not open.
 * @example await measureCommentPropagation(api, { commenters: [commenter], reader, postAuthor, postId, bodies: ['nice'], ratePerSec: 5, timeoutMs: 15_000 })
 */
export async function measureCommentPropagation(
  api: StackClient,
  o: {
    /** Comment i is written by commenters[i % length]. */
    commenters: readonly Session[]
    reader: Session
    /** The post's author, notified of each comment (must not be a commenter). */
    postAuthor?: Session
    postId: string
    bodies: readonly string[]
    ratePerSec: number
    timeoutMs: number
  },
): Promise<CommentPropagation> {
  const counted = async (n: number) =>
    ((await api.home(o.reader, 50)).find((i) => i.id === o.postId)?.commentCount ?? 0) >= n
  const live = o.postAuthor
    ? await openLiveNotifications(
        api.base,
        o.postAuthor.token,
        await api.latestNotification(o.postAuthor),
      )
    : null
  const counts: Promise<{ id: string; ms: number | null }>[] = []
  const pushes: Promise<{ id: string; ms: number | null }>[] = []
  try {
    for (const [i, body] of o.bodies.entries()) {
      const { id } = await api.comment(o.commenters[i % o.commenters.length]!, o.postId, body)
      const t0 = performance.now()
      counts.push(timeUntil(() => counted(i + 1), o.timeoutMs).then((ms) => ({ id, ms })))
      if (live)
        pushes.push(
          live.waitFor(id, o.timeoutMs).then((at) => ({ id, ms: at === null ? null : at - t0 })),
        )
      await Bun.sleep(1_000 / o.ratePerSec)
    }
    return {
      counted: toArrivals(await Promise.all(counts)),
      pushed: live ? toArrivals(await Promise.all(pushes)) : null,
    }
  } finally {
    await live?.close()
  }
}
