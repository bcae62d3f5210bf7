/**
 * `harness replay`: the real-input workload. Signs up the densest `users` nodes
 * of a real social graph through the gateway, creates their follow edges, then
 * posts real SMS texts at `ratePerSec` for `durationSec`, measuring propagation
 * (201 → global feed, and → the home feed of a watching follower) and feed read
 * latency the way `check` does.
 */

import type { Arrivals } from '../check/arrivals.ts'
import {
  measurePropagation,
  type PlannedPost,
  type PropagationResult,
} from '../check/propagation.ts'
import { measureSearchPropagation, type SearchPropagation } from '../check/search-propagation.ts'
import { ApiError, type Session, type StackClient, stackClient } from '../client/stack-client.ts'
import { type Summary, summarize } from '../report/stats.ts'
import { adaptiveLimit } from './adaptive-limit.ts'
import { densestSubgraph, type GraphName, loadDataset } from './dataset.ts'
import { measureReactions } from './reactions.ts'
import { seededRandom } from './seeded-random.ts'

export { seededRandom }

export interface ReplayOptions {
  gateway: string
  dataDir: string
  graph: GraphName
  users: number
  ratePerSec: number
  durationSec: number
  concurrency: number
  /** Followers whose home feeds are watched (most-following first). */
  watchers: number
  timeoutMs: number
  seed: number
  /** What the charts hold the run to, ms (shown as met or missed; not failures). */
  targets: { propagationP99Ms: number; feedP99Ms: number }
  onProgress?: (phase: string, done: number, total: number) => void
}

export interface ReplayReport {
  ok: boolean
  gateway: string
  startedAt: string
  graph: GraphName
  users: number
  follows: number
  setupMs: { signUp: number; follows: number; warmUp: number }
  /** 502/504s the gateway gave on sign-ups (each retried), and the fewest sign-ups in flight they led to. */
  signUpBackoff: { gatewayGaveUp: number; lowestConcurrency: number }
  propagation: PropagationResult
  /** 20 posts of real texts, timed from 201 until search found them. */
  search: SearchPropagation
  /** 20 comments of real texts on one post, timed from 201 until its count in the feed included them. */
  comments: Arrivals
  /** The same comments, timed from 201 until the post author's live socket pushed them. */
  notifications: Arrivals | null
  /** Likes of that post by its author's followers, 200 → pushed on the author's live socket. */
  likes: Arrivals | null
  feedRead: Summary | null
  /** Each timed home-feed read, ms. */
  feedReadSamples: number[]
  targets: { propagationP99Ms: number; feedP99Ms: number }
  failures: string[]
}

/**
 * A sign-up that failed, with what to change when the gateway kept giving up on
 * the auth service (each of its retries had already been halving the sign-ups in flight).
 */
function signUpFailure(err: unknown, concurrency: number, lowest: number): Error {
  if (!(err instanceof ApiError) || (err.status !== 502 && err.status !== 504)) return err as Error
  return new Error(
    `sign-up failed: the gateway gave up on the auth service (${err.status}) four times in a row, with ${lowest} sign-up(s) in flight at the least. argon2id hashing is CPU-bound: run with a lower --concurrency (now ${concurrency}), fewer --users, or more auth instances. (${err.message})`,
  )
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
  progress?: (done: number) => void,
) {
  let next = 0
  let done = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        await task(items[i]!, i)
        progress?.(++done)
      }
    }),
  )
}

/**
 * Plans which post each author writes and which watcher should see it.
 * Authors are drawn in proportion to their follower count (popular people post
 * to more readers, the fan-out a real feed sees), texts at random. Each draw is a
 * binary search over the cumulative weights, so planning 30,000 posts over 1,000
 * authors costs milliseconds (a linear scan per draw took seconds, which the
 * write-path benchmark counted as its load generator's CPU).
 */
export function planPosts(
  count: number,
  authors: readonly number[],
  followersOf: ReadonlyMap<number, readonly number[]>,
  watchers: ReadonlySet<number>,
  texts: readonly string[],
  random: () => number,
): { author: number; text: string; watcher?: number }[] {
  const cumulative = new Float64Array(authors.length)
  let total = 0
  for (const [k, a] of authors.entries()) {
    total += 1 + (followersOf.get(a)?.length ?? 0)
    cumulative[k] = total
  }
  const watcherOf = new Map<number, number | undefined>()
  const plan = []
  for (let i = 0; i < count; i++) {
    const author = authors[firstAbove(cumulative, random() * total)]!
    if (!watcherOf.has(author))
      watcherOf.set(
        author,
        followersOf.get(author)?.find((f) => watchers.has(f)),
      )
    plan.push({
      author,
      text: texts[Math.floor(random() * texts.length)]!,
      watcher: watcherOf.get(author),
    })
  }
  return plan
}

/** The first index whose value in `ascending` is above `r` (the last index when none is). */
function firstAbove(ascending: Float64Array, r: number): number {
  let lo = 0
  let hi = ascending.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (ascending[mid]! > r) hi = mid
    else lo = mid + 1
  }
  return lo
}

export async function runReplay(o: ReplayOptions): Promise<ReplayReport> {
  const startedAt = new Date().toISOString()
  // Sign-ups hash with argon2id, CPU-bound on the auth service: each 502/504 the
  // gateway gives (the hash outlasted its timeout) halves the sign-ups in flight.
  let gaveUp = 0
  const signUpGate = adaptiveLimit(o.concurrency)
  const api: StackClient = stackClient(o.gateway, { onGaveUp: () => gaveUp++ })
  const random = seededRandom(o.seed)
  const { edges: all, texts } = await loadDataset(o.dataDir, o.graph, o.seed)
  const { nodes, edges } = densestSubgraph(all, o.users)
  const run = crypto.randomUUID().slice(0, 8)
  const sessions = new Map<number, Session>()
  const failures: string[] = []

  let t0 = performance.now()
  await pool(
    nodes,
    o.concurrency,
    async (node) => {
      await signUpGate.acquire()
      const before = gaveUp
      try {
        sessions.set(
          node,
          await api.signUp(`user-${node}-${run}@replay.civildiy.dev`, `replay password ${node}`),
        )
      } catch (err) {
        throw signUpFailure(err, o.concurrency, signUpGate.lowest)
      } finally {
        signUpGate.release(gaveUp > before)
      }
    },
    (done) => o.onProgress?.('sign up', done, nodes.length),
  )
  // Profiles are created from user.registered; follows need them.
  for (const s of sessions.values()) {
    const deadline = Date.now() + o.timeoutMs
    while (!(await api.profileExists(s.userId))) {
      if (Date.now() > deadline) throw new Error(`the profile of ${s.userId} never appeared`)
      await Bun.sleep(50)
    }
  }
  const signUpMs = performance.now() - t0

  t0 = performance.now()
  await pool(
    edges,
    o.concurrency,
    async (e) => api.follow(sessions.get(e.follower)!, sessions.get(e.followee)!.userId),
    (done) => {
      if (done % 100 === 0 || done === edges.length) o.onProgress?.('follow', done, edges.length)
    },
  )
  const followsMs = performance.now() - t0

  const followersOf = new Map<number, number[]>()
  const followingCount = new Map<number, number>()
  for (const e of edges) {
    const list = followersOf.get(e.followee) ?? []
    if (list.length === 0) followersOf.set(e.followee, list)
    list.push(e.follower)
    followingCount.set(e.follower, (followingCount.get(e.follower) ?? 0) + 1)
  }
  const watcherNodes = [...followingCount]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, o.watchers)
    .map(([n]) => n)
  const watchers = new Set(watcherNodes)

  // Warm-up: the last follow applied shows as a post reaching its follower.
  t0 = performance.now()
  const last = edges.at(-1)
  if (last) {
    const post = await api.createPost(sessions.get(last.followee)!, 'replay warm-up')
    const deadline = Date.now() + o.timeoutMs * 4
    while (!(await api.home(sessions.get(last.follower)!, 100)).some((i) => i.id === post.id)) {
      if (Date.now() > deadline) {
        failures.push('the follows were not applied in time (warm-up post never arrived)')
        break
      }
      await Bun.sleep(50)
    }
  }
  const warmUpMs = performance.now() - t0

  const authors = nodes.filter((n) => (followersOf.get(n)?.length ?? 0) > 0)
  const plan = planPosts(
    Math.round(o.ratePerSec * o.durationSec),
    authors.length ? authors : nodes,
    followersOf,
    watchers,
    texts,
    random,
  )
  const planned: PlannedPost[] = plan.map((p) => ({
    author: sessions.get(p.author)!,
    body: p.text,
    watcher: p.watcher === undefined ? undefined : sessions.get(p.watcher),
  }))
  const propagation = await measurePropagation(api, planned, {
    ratePerSec: o.ratePerSec,
    timeoutMs: o.timeoutMs,
    onProgress: (seen) => o.onProgress?.('posts seen', seen, planned.length),
  })
  failures.push(...propagation.writeErrors)
  if (propagation.lostGlobal.length)
    failures.push(
      `${propagation.lostGlobal.length} posts never reached the global feed: ${propagation.lostGlobal.slice(0, 10).join(', ')}`,
    )
  if (propagation.lostHome.length)
    failures.push(
      `${propagation.lostHome.length} posts never reached a watcher's home feed: ${propagation.lostHome.slice(0, 10).join(', ')}`,
    )

  const reads: number[] = []
  const watcherSessions = watcherNodes.map((n) => sessions.get(n)!)
  for (let i = 0; i < 200 && watcherSessions.length; i++) {
    const t = performance.now()
    await api.home(watcherSessions[i % watcherSessions.length]!, 20)
    reads.push(performance.now() - t)
  }
  const authorNode = authors[0] ?? nodes[0]!
  const searchAuthor = sessions.get(authorNode)!
  const search = await measureSearchPropagation(
    api,
    searchAuthor,
    Array.from({ length: 20 }, (_, i) => texts[i % texts.length]!),
    { ratePerSec: o.ratePerSec, timeoutMs: o.timeoutMs },
  )
  if (search.lost.length)
    failures.push(
      `${search.lost.length} posts were never found by search: ${search.lost.slice(0, 10).join(', ')}`,
    )
  const reactions = await measureReactions(api, {
    author: searchAuthor,
    followers: (followersOf.get(authorNode) ?? []).map((n) => sessions.get(n)!),
    texts,
    count: 20,
    ratePerSec: o.ratePerSec,
    timeoutMs: o.timeoutMs,
  })
  failures.push(...reactions.failures)
  return {
    ok: failures.length === 0,
    gateway: o.gateway,
    startedAt,
    graph: o.graph,
    users: nodes.length,
    follows: edges.length,
    setupMs: { signUp: signUpMs, follows: followsMs, warmUp: warmUpMs },
    signUpBackoff: { gatewayGaveUp: gaveUp, lowestConcurrency: signUpGate.lowest },
    propagation,
    search,
    comments: reactions.comments,
    notifications: reactions.notifications,
    likes: reactions.likes,
    feedRead: reads.length ? summarize(reads) : null,
    feedReadSamples: reads.map((x) => Math.round(x * 1000) / 1000),
    targets: o.targets,
    failures,
  }
}
