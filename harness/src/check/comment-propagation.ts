/**
 * Comment propagation as a reader sees it: comments on one post, each timed from
 * its 201 until the post's `commentCount` in the reader's home feed counts it (the
 * comment event went through the posts outbox, `civildiy.comments` and the feed's
 * projector). A comment never counted within the timeout is lost and reported by id.
 */
import type { Session, StackClient } from '../client/stack-client.ts'
import { summarize } from '../report/stats.ts'
import { type Arrivals, timeUntil } from './arrivals.ts'

/**
 * Writes one comment per body on `postId` (which has no comments yet) at
 * `ratePerSec`, and waits for each to be counted. Counts only grow here, so the
 * i-th comment is counted once the post shows at least i.
 * @throws ApiError when a comment is refused (the write side failed, not the feed).
 * @example await measureCommentPropagation(api, { commenter, reader, postId, bodies: ['nice'], ratePerSec: 5, timeoutMs: 15_000 })
 */
export async function measureCommentPropagation(
  api: StackClient,
  o: {
    commenter: Session
    reader: Session
    postId: string
    bodies: readonly string[]
    ratePerSec: number
    timeoutMs: number
  },
): Promise<Arrivals> {
  const counted = async (n: number) =>
    ((await api.home(o.reader, 50)).find((i) => i.id === o.postId)?.commentCount ?? 0) >= n
  const waits: Promise<{ id: string; ms: number | null }>[] = []
  for (const [i, body] of o.bodies.entries()) {
    const { id } = await api.comment(o.commenter, o.postId, body)
    waits.push(timeUntil(() => counted(i + 1), o.timeoutMs).then((ms) => ({ id, ms })))
    await Bun.sleep(1_000 / o.ratePerSec)
  }
  const results = await Promise.all(waits)
  const ms = results.flatMap((r) => (r.ms === null ? [] : [r.ms]))
  return {
    sent: o.bodies.length,
    found: ms.length ? summarize(ms) : null,
    lost: results.filter((r) => r.ms === null).map((r) => r.id),
  }
}
