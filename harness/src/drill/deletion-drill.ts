/**
 * The account-deletion drill: a user with a follow, a post, a comment and a like
 * deletes their account while the posts service is stopped. The saga must finish
 * every other step, keep retrying posts, and complete once posts is started
 * again, with the user's post gone and no step but posts tried twice.
 */
import { adminClient, type DeletionStatus } from '../client/admin-client.ts'
import type { DrillContext, DrillResult } from './drills.ts'
import { emptyResult } from './drills.ts'

const COMPLETE_LIMIT_MS = 30_000

/** @example await deletionWithParticipantDown(ctx) */
export async function deletionWithParticipantDown(ctx: DrillContext): Promise<DrillResult> {
  const result = emptyResult(
    'deletion-participant-down',
    'posts stopped during an account deletion',
  )
  const admin = adminClient(ctx.api.base)
  const password = 'drill deletion password 1'
  const leaving = await ctx.api.signUp(`leaving-${Date.now()}@drill.example`, password)
  const author = ctx.authors[0]!
  await ctx.api.follow(leaving, author.userId)
  const post = await ctx.api.createPost(leaving, 'drill: gone soon')
  const theirs = await ctx.api.createPost(author, 'drill: liked by someone leaving')
  await ctx.api.comment(leaving, theirs.id, 'goodbye')
  await ctx.api.like(leaving, theirs.id)

  ctx.log('deletion-participant-down: posts stopped, the account deletion asked for')
  await ctx.control.act('posts', 'stop')
  let last: DeletionStatus
  let restartedAt = 0
  try {
    const asked = await admin.deleteAccount(leaving, password)
    last = asked
    const deadline = Date.now() + COMPLETE_LIMIT_MS
    // Until posts has failed at least once and everything else is done.
    for (;;) {
      last = await admin.deletion(asked.id)
      const posts = last.steps.find((s) => s.name === 'posts')!
      const others = last.steps.filter((s) => s.name !== 'posts' && s.name !== 'account')
      if (posts.attempts >= 1 && others.every((s) => s.state === 'done')) break
      if (Date.now() > deadline) break
      await Bun.sleep(100)
    }
  } finally {
    await ctx.control.act('posts', 'start')
    restartedAt = Date.now()
  }
  const waitingSteps = last.steps.map((s) => `${s.name} ${s.state} (${s.attempts})`).join(', ')
  ctx.log(`deletion-participant-down: posts started again; the saga was at ${waitingSteps}`)
  while (last.state !== 'completed' && Date.now() - restartedAt < COMPLETE_LIMIT_MS) {
    await Bun.sleep(100)
    last = await admin.deletion(last.id).catch(() => last)
  }
  const completedMs = last.state === 'completed' ? Date.now() - restartedAt : null
  const retried = last.steps.filter((s) => s.name !== 'posts' && s.attempts > 1).map((s) => s.name)
  const postGone = (await ctx.api.raw(`/posts/${post.id}`)).status === 404
  const failures = [
    ...(completedMs === null
      ? [`not completed ${COMPLETE_LIMIT_MS / 1000} s after posts came back`]
      : []),
    ...(retried.length ? [`steps run more than once: ${retried.join(', ')}`] : []),
    ...(postGone ? [] : [`the deleted user's post ${post.id} is still served`]),
  ]
  return {
    ...result,
    load: 'one account: a follow, a post, a comment, a like',
    recoveryMs: completedMs,
    thresholds: [
      `completed <= ${COMPLETE_LIMIT_MS / 1000} s after posts is back`,
      'no step but posts run twice',
      "the user's post is gone",
    ],
    failures,
    pass: failures.length === 0,
    notes: [
      `while posts was down: ${waitingSteps}`,
      `posts step attempts: ${last.steps.find((s) => s.name === 'posts')?.attempts}`,
    ],
  }
}
