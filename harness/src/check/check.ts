/**
 * `harness check`: six checks against any running stack, each a pass or a list
 * of failures.
 *  1. discovery: every expected service registered, passing and reachable here;
 *  2. auth through the gateway: register, login, /auth/me; bad password and
 *     missing token are 401;
 *  3. event propagation: N posts timed from 201 to the global feed and to a
 *     follower's home feed;
 *  4. feed reads through the gateway: home-feed page latency;
 *  5. search: new posts, each with a word of its own, found through the gateway;
 *  6. comments: comments on a new post, counted in a follower's home feed and
 *     pushed to the author's live notifications socket (a WebSocket through the
 *     gateway), which, closed and resumed from its last seq, misses nothing;
 *  7. moderation (with the admin bootstrap token): a moderator hides a post, which
 *     leaves the feed and reaches the audit trail; a suspended user's token is
 *     refused by the gateway;
 *  8. account deletion: a user who followed, posted and commented deletes their
 *     account; the saga completes and nothing of them is served.
 */

import { ApiError, type Session, stackClient } from '../client/stack-client.ts'
import { type Summary, summarize } from '../report/stats.ts'
import { checkAccountDeletion } from './account-deletion.ts'
import type { Arrivals } from './arrivals.ts'
import { measureCommentPropagation } from './comment-propagation.ts'
import { checkDiscovery, type DiscoveryReport } from './discovery.ts'
import { checkModeration, type ModerationTimes } from './moderation.ts'
import { checkNotificationResume } from './notification-resume.ts'
import type { ProbeTls } from './probes.ts'
import { measurePropagation, type PropagationResult } from './propagation.ts'
import { measureSearchPropagation, type SearchPropagation } from './search-propagation.ts'

export const expectedServices = [
  'auth',
  'profile',
  'posts',
  'feed',
  'search',
  'notifications',
  'gateway',
] as const

export interface CheckOptions {
  gateway: string
  consul: string
  /** A Consul ACL token for reading the catalog (a stack with ACLs on). */
  consulToken?: string
  /** For instances registered as HTTPS: the CA, and a client certificate if they require one. */
  tls?: ProbeTls
  services?: readonly string[]
  posts: number
  ratePerSec: number
  feedReads: number
  timeoutMs: number
  /** Failure thresholds, ms. */
  propagationP99Ms: number
  feedP99Ms: number
  /** AUTH_ADMIN_BOOTSTRAP_TOKEN of the stack: without it the moderation step is skipped. */
  adminBootstrapToken?: string
  onStep?: (step: string, detail?: string) => void
}

export interface CheckStep {
  name: string
  ok: boolean
  durationMs: number
  failures: string[]
}

export interface CheckReport {
  ok: boolean
  gateway: string
  consul: string
  startedAt: string
  steps: CheckStep[]
  discovery?: DiscoveryReport
  propagation?: PropagationResult
  feedRead?: Summary
  /** Each timed home-feed read, ms. */
  feedReadSamples?: number[]
  /** Ms from each post's 201 until search found it. */
  search?: SearchPropagation
  /** Ms from each comment's 201 until the post's count in the feed included it. */
  comments?: Arrivals
  /** Ms from each comment's 201 until the post's author's live socket pushed it. */
  notifications?: Arrivals
  /** Hide → gone from the feed and in the audit trail; suspension → refused at the gateway. */
  moderation?: ModerationTimes
  /** Ms from an account deletion's 202 until its saga completed. */
  accountDeletionMs?: number
  /** Steps not run, and why. */
  skipped?: string[]
  /** The thresholds it was held to, ms. */
  targets: { propagationP99Ms: number; feedP99Ms: number }
}

const password = 'harness check password 1'

/** Polls until the profile service has the user's profile (created from user.registered). */
async function waitForProfile(api: ReturnType<typeof stackClient>, s: Session, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await api.profileExists(s.userId))) {
    if (Date.now() > deadline)
      throw new Error(`the profile of ${s.userId} never appeared (user.registered not consumed?)`)
    await Bun.sleep(50)
  }
}

/** Runs every check; never throws for a failing stack, only reports. */
export async function runCheck(o: CheckOptions): Promise<CheckReport> {
  const report: CheckReport = {
    ok: true,
    gateway: o.gateway,
    consul: o.consul,
    startedAt: new Date().toISOString(),
    steps: [],
    targets: { propagationP99Ms: o.propagationP99Ms, feedP99Ms: o.feedP99Ms },
  }
  const step = async (name: string, run: () => Promise<string[]>) => {
    o.onStep?.(name)
    const t0 = performance.now()
    let failures: string[]
    try {
      failures = await run()
    } catch (err) {
      failures = [err instanceof ApiError ? err.message : `${(err as Error).message}`]
    }
    const s = { name, ok: failures.length === 0, durationMs: performance.now() - t0, failures }
    report.steps.push(s)
    report.ok &&= s.ok
    o.onStep?.(name, s.ok ? 'ok' : 'FAILED')
    return s.ok
  }
  const api = stackClient(o.gateway, { maxRateLimitWaitMs: 10_000 })

  await step('discovery', async () => {
    report.discovery = await checkDiscovery(o.consul, o.services ?? expectedServices, {
      token: o.consulToken,
      tls: o.tls,
    })
    return report.discovery.failures
  })

  let author: Session | undefined
  let follower: Session | undefined
  const authOk = await step('auth through the gateway', async () => {
    const failures: string[] = []
    const run = crypto.randomUUID().slice(0, 8)
    author = await api.signUp(`author-${run}@check.civildiy.dev`, password)
    follower = await api.signUp(`follower-${run}@check.civildiy.dev`, password)
    const wrong = await api.raw('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: author.email, password: 'not the password' }),
    })
    if (wrong.status !== 401) failures.push(`a wrong password got ${wrong.status}, not 401`)
    const anonymous = await api.raw('/feed')
    if (anonymous.status !== 401)
      failures.push(`/feed without a token got ${anonymous.status}, not 401`)
    else if (!anonymous.headers.get('www-authenticate'))
      failures.push('the 401 carries no WWW-Authenticate header')
    const forged = await api.raw('/feed', {
      headers: { authorization: `Bearer ${author.token.slice(0, -4)}AAAA` },
    })
    if (forged.status !== 401) failures.push(`a tampered token got ${forged.status}, not 401`)
    return failures
  })

  if (authOk && author && follower) {
    await step('event propagation', async () => {
      await waitForProfile(api, author!, o.timeoutMs)
      await waitForProfile(api, follower!, o.timeoutMs)
      await api.follow(follower!, author!.userId)
      // The follow travels as an event too; give the feed a moment to apply it by
      // waiting for one warm-up post to reach the follower.
      const warm = await api.createPost(author!, 'harness check: warm-up')
      const deadline = Date.now() + o.timeoutMs
      while (!(await api.home(follower!, 50)).some((i) => i.id === warm.id)) {
        if (Date.now() > deadline)
          return [`the warm-up post ${warm.id} never reached the follower's home feed`]
        await Bun.sleep(20)
      }
      const planned = Array.from({ length: o.posts }, (_, i) => ({
        author: author!,
        watcher: follower!,
        body: `harness check post ${i + 1} of ${o.posts}`,
      }))
      const r = await measurePropagation(api, planned, {
        ratePerSec: o.ratePerSec,
        timeoutMs: o.timeoutMs,
        onProgress: (seen, sent) => o.onStep?.('event propagation', `${seen}/${sent} seen`),
      })
      report.propagation = r
      const failures = [...r.writeErrors]
      for (const id of r.lostGlobal)
        failures.push(`post ${id} never appeared in the global feed within ${o.timeoutMs} ms`)
      for (const id of r.lostHome)
        failures.push(
          `post ${id} never appeared in the follower's home feed within ${o.timeoutMs} ms`,
        )
      for (const [where, s] of [
        ['global feed', r.global],
        ['home feed', r.home],
      ] as const) {
        if (s && s.p99 > o.propagationP99Ms)
          failures.push(
            `propagation p99 to the ${where} is ${s.p99.toFixed(1)} ms, above ${o.propagationP99Ms} ms`,
          )
      }
      return failures
    })

    await step('feed reads through the gateway', async () => {
      const ms: number[] = []
      for (let i = 0; i < o.feedReads; i++) {
        const t0 = performance.now()
        await api.home(follower!, 20)
        ms.push(performance.now() - t0)
      }
      report.feedRead = summarize(ms)
      report.feedReadSamples = ms.map((x) => Math.round(x * 1000) / 1000)
      return report.feedRead.p99 > o.feedP99Ms
        ? [`home feed p99 is ${report.feedRead.p99.toFixed(1)} ms, above ${o.feedP99Ms} ms`]
        : []
    })

    await step('search finds new posts', async () => {
      const r = await measureSearchPropagation(
        api,
        author!,
        ['harness check: searchable', 'harness check: also searchable', 'harness check: found'],
        { ratePerSec: o.ratePerSec, timeoutMs: o.timeoutMs },
      )
      report.search = r
      return r.lost.map((id) => `post ${id} was not found by search within ${o.timeoutMs} ms`)
    })

    await step('comments reach the feed and their post’s author, live', async () => {
      const post = await api.createPost(author!, 'harness check: comment on me')
      const r = await measureCommentPropagation(api, {
        commenters: [follower!],
        reader: follower!,
        postAuthor: author!,
        postId: post.id,
        bodies: ['harness check: first', 'harness check: second', 'harness check: third'],
        ratePerSec: o.ratePerSec,
        timeoutMs: o.timeoutMs,
      })
      report.comments = r.counted
      report.notifications = r.pushed ?? undefined
      return [
        ...r.counted.lost.map(
          (id) => `comment ${id} was not counted on its post in the feed within ${o.timeoutMs} ms`,
        ),
        ...(r.pushed?.lost ?? []).map(
          (id) =>
            `the notification of comment ${id} was not pushed over the live socket within ${o.timeoutMs} ms`,
        ),
        ...(await checkNotificationResume(api, {
          author: author!,
          commenter: follower!,
          postId: post.id,
          timeoutMs: o.timeoutMs,
        })),
      ]
    })
  }
  if (authOk && o.adminBootstrapToken) {
    const bootstrapToken = o.adminBootstrapToken
    await step('a moderator hides a post; a suspended user is refused', async () => {
      const r = await checkModeration(api, {
        bootstrapToken,
        author: author!,
        password,
        timeoutMs: o.timeoutMs,
      })
      report.moderation = r.times
      return r.failures
    })
  } else if (authOk)
    report.skipped = [
      'moderation: no admin bootstrap token (--admin-bootstrap-token, or AUTH_ADMIN_BOOTSTRAP_TOKEN)',
    ]
  if (authOk)
    await step('an account deletion completes', async () => {
      const r = await checkAccountDeletion(api, {
        other: author!,
        password,
        timeoutMs: o.timeoutMs * 2,
      })
      if (r.completedMs !== null) report.accountDeletionMs = r.completedMs
      return r.failures
    })
  return report
}
