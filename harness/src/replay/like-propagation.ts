/**
 * Likes as the post's author sees them: each liker likes one post, timed from
 * the like's 200 until the author's live notifications socket (a WebSocket
 * through the gateway) pushes a `like` from that liker on that post (the like
 * went through the posts outbox, `civildiy.posts` and the notifications
 * consumer). A like never pushed within the timeout is lost, reported by the
 * liker's user id.
 */
import { type Arrivals, toArrivals } from '../check/arrivals.ts'
import { openLiveNotifications } from '../check/live-notifications.ts'
import type { Session, StackClient } from '../client/stack-client.ts'

/**
 * @param likers users other than the author, each liking the post once, at `ratePerSec`.
 * @throws ApiError when a like is refused; an Error when the author's socket does not open.
 * @example await measureLikePropagation(api, { author, postId, likers, ratePerSec: 10, timeoutMs: 15_000 })
 */
export async function measureLikePropagation(
  api: StackClient,
  o: {
    author: Session
    postId: string
    likers: readonly Session[]
    ratePerSec: number
    timeoutMs: number
  },
): Promise<Arrivals> {
  const live = await openLiveNotifications(
    api.base,
    o.author.token,
    await api.latestNotification(o.author),
  )
  try {
    const pushes: Promise<{ id: string; ms: number | null }>[] = []
    for (const liker of o.likers) {
      await api.like(liker, o.postId)
      const t0 = performance.now()
      const pushed = live.waitUntil(
        (p) => p.kind === 'like' && p.actorId === liker.userId && p.postId === o.postId,
        o.timeoutMs,
      )
      pushes.push(pushed.then((at) => ({ id: liker.userId, ms: at === null ? null : at - t0 })))
      await Bun.sleep(1_000 / o.ratePerSec)
    }
    return toArrivals(await Promise.all(pushes))
  } finally {
    await live.close()
  }
}
