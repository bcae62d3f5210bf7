/**
 * Resumption of the live notifications socket through the gateway: a comment
 * written while the post's author had no socket open arrives first on the socket
 * reopened with `after` = the last seq the author saw.
 */
import type { Session, StackClient } from '../client/stack-client.ts'
import { openLiveNotifications } from './live-notifications.ts'

/**
 * @returns failures (empty when the missed notification came on the resumed socket).
 * @example await checkNotificationResume(api, { author, commenter, postId, timeoutMs: 15_000 })
 */
export async function checkNotificationResume(
  api: StackClient,
  o: { author: Session; commenter: Session; postId: string; timeoutMs: number },
): Promise<string[]> {
  const lastSeen = await api.latestNotification(o.author)
  const missed = await api.comment(o.commenter, o.postId, 'harness check: written while away')
  const live = await openLiveNotifications(api.base, o.author.token, lastSeen)
  try {
    const at = await live.waitFor(missed.id, o.timeoutMs)
    if (at === null)
      return [
        `comment ${missed.id}, written while the author's socket was closed, did not arrive on the socket resumed after seq ${lastSeen} within ${o.timeoutMs} ms`,
      ]
    const first = live.received[0]
    return first?.seq === lastSeen + 1
      ? []
      : [`the resumed socket started at seq ${first?.seq}, not ${lastSeen + 1}`]
  } finally {
    await live.close()
  }
}
