/**
 * An account deletion through the gateway, as a user asks for it: a fresh user
 * follows, posts and comments, asks to be deleted at once, and the check waits
 * until the saga says `completed`, then proves the user is gone: the post is
 * 404, the profile 404, and the email can register again.
 */
import { adminClient, type DeletionStatus } from '../client/admin-client.ts'
import type { Session, StackClient } from '../client/stack-client.ts'
import { timeUntil } from './arrivals.ts'

/**
 * @param other an existing user the deleted one follows (and whose post they comment on).
 * @returns ms from the 202 until the saga completed (null: it did not in time), and failures.
 * @example await checkAccountDeletion(api, { other: author, password, timeoutMs: 30_000 })
 */
export async function checkAccountDeletion(
  api: StackClient,
  o: { other: Session; password: string; timeoutMs: number },
): Promise<{ completedMs: number | null; failures: string[] }> {
  const admin = adminClient(api.base)
  const email = `leaving-${crypto.randomUUID().slice(0, 8)}@check.civildiy.dev`
  const leaving = await api.signUp(email, o.password)
  await api.follow(leaving, o.other.userId)
  const post = await api.createPost(leaving, 'harness check: gone soon')
  const otherPost = await api.createPost(o.other, 'harness check: commented by someone leaving')
  await api.comment(leaving, otherPost.id, 'goodbye')
  const asked = await admin.deleteAccount(leaving, o.password)
  let last: DeletionStatus = asked
  const completedMs = await timeUntil(async () => {
    last = await admin.deletion(asked.id)
    return last.state === 'completed'
  }, o.timeoutMs)
  if (completedMs === null) {
    const pending = last.steps.filter((s) => s.state === 'pending')
    return {
      completedMs,
      failures: [
        `the deletion of ${leaving.userId} was still ${last.state} after ${o.timeoutMs} ms (pending: ${pending.map((s) => `${s.name}: ${s.lastError ?? 'not tried'}`).join('; ')})`,
      ],
    }
  }
  const failures: string[] = []
  if ((await api.raw(`/posts/${post.id}`)).status !== 404)
    failures.push(`post ${post.id} of the deleted user is still served`)
  if (await api.profileExists(leaving.userId))
    failures.push(`the profile of the deleted user ${leaving.userId} is still served`)
  const again = await api.raw('/auth/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: o.password }),
  })
  if (again.status !== 201) failures.push(`the email could not register again (${again.status})`)
  return { completedMs, failures }
}
