/**
 * Roles and moderation through the gateway, as an operator would prove them: a
 * fresh user becomes admin with the bootstrap token, grants another the
 * moderator role (both refresh to get the roles into their tokens), the
 * moderator hides a post, which must leave the global feed and show in the audit
 * trail (posts → `civildiy.posts.audit` → auth's audit consumer), and a suspended
 * user's still-valid token must be refused by the gateway (its deny list).
 */

import { adminClient } from '../client/admin-client.ts'
import { ApiError, type Session, type StackClient } from '../client/stack-client.ts'
import { type Arrivals, timeUntil, toArrivals } from './arrivals.ts'

export interface ModerationTimes {
  /** Hide 200 → gone from the global feed. */
  hidden: Arrivals
  /** Hide 200 → its `post.hidden` entry in the audit trail. */
  audited: Arrivals
  /** Suspension 200 → the user's token refused through the gateway. */
  denied: Arrivals
}

/**
 * @param author a user whose post the moderator hides.
 * @returns the times, and failures (empty when everything happened within `timeoutMs`).
 * @throws ApiError when a call is refused (a wrong bootstrap token: 403).
 * @example await checkModeration(api, { bootstrapToken, author, password, timeoutMs: 15_000 })
 */
export async function checkModeration(
  api: StackClient,
  o: { bootstrapToken: string; author: Session; password: string; timeoutMs: number },
): Promise<{ times: ModerationTimes; failures: string[] }> {
  const admin = adminClient(api.base)
  const run = crypto.randomUUID().slice(0, 8)
  let chief = await api.signUp(`admin-${run}@check.civildiy.dev`, o.password)
  await admin.bootstrap(chief, o.bootstrapToken)
  chief = await admin.refresh(chief)
  let moderator = await api.signUp(`moderator-${run}@check.civildiy.dev`, o.password)
  await admin.setRoles(chief, moderator.userId, ['moderator'])
  moderator = await admin.refresh(moderator)

  const post = await api.createPost(o.author, `harness check: to be hidden ${run}`)
  const listed = async () => (await api.global(50)).some((i) => i.id === post.id)
  if ((await timeUntil(listed, o.timeoutMs)) === null)
    return { times: empty(), failures: [`post ${post.id} never reached the global feed`] }
  await admin.moderatePost(moderator, post.id, 'hide', 'harness check')
  const hidden = await timeUntil(async () => !(await listed()), o.timeoutMs)
  const audited = await timeUntil(
    async () =>
      (await admin.audit(chief, { subject: `post:${post.id}`, action: 'post.hidden' })).length > 0,
    o.timeoutMs,
  )

  const suspect = await api.signUp(`suspect-${run}@check.civildiy.dev`, o.password)
  await admin.suspend(chief, suspect.userId, 'harness check')
  const refused = async () => {
    try {
      await api.me(suspect.token)
      return false
    } catch (err) {
      return err instanceof ApiError && err.status === 401
    }
  }
  const denied = await timeUntil(refused, o.timeoutMs)
  await admin.unsuspend(chief, suspect.userId)

  const times = {
    hidden: toArrivals([{ id: post.id, ms: hidden }]),
    audited: toArrivals([{ id: post.id, ms: audited }]),
    denied: toArrivals([{ id: suspect.userId, ms: denied }]),
  }
  const failures = [
    ...(hidden === null ? [`hidden post ${post.id} stayed in the global feed`] : []),
    ...(audited === null ? [`the hiding of post ${post.id} never reached the audit trail`] : []),
    ...(denied === null
      ? [`suspended user ${suspect.userId} was still let through by the gateway`]
      : []),
  ]
  return { times, failures }
}

const empty = (): ModerationTimes => ({
  hidden: toArrivals([]),
  audited: toArrivals([]),
  denied: toArrivals([]),
})
