/**
 * Event propagation at scale, through the gateway: posts created through the
 * posts service reach feeds built by the feed service, with a real follower
 * distribution (the densest 1,000 users of SNAP soc-Epinions1, 300 with --quick; follows injected as
 * `user.followed` events) and authors drawn by follower count.
 *  1. POST 201 → visible in the global feed and in a watching follower's home
 *     feed, p50/p95/p99/p99.9, at 100, 250 and 500 posts/s (60 s each), with the
 *     CPU each process spent per post (gateway, posts, the MongoDB stand-in, the
 *     Kafka broker, feed, Redis, and this load generator) so the limit is named,
 *     and the highest rate whose p99 stays within 250 ms with nothing lost;
 *  2. the feed consumer's catch-up rate after an outage: the feed service is
 *     stopped while posts keep coming, restarted, and timed until every post
 *     written meanwhile is visible (events/s).
 * A real Redis holds the read model when one can be started (so the restarted
 * feed resumes from its committed offsets); otherwise the in-process store
 * rebuilds from the beginning, which the table says.
 *
 * Usage: bun bench/events.ts [--quick] [--rates 100,250,500] [--json FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startTestRedis } from '@civildiy/devstack'
import {
  defaultDataDir,
  densestSubgraph,
  fmt,
  loadDataset,
  markdownTable,
  measurePropagation,
  type PlannedPost,
  type PropagationResult,
  planPosts,
  propagationFigures,
  type Session,
  type Summary,
  seededRandom,
  stackClient,
} from '@civildiy/harness'
import { createEventPublisher } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { commandsPer, cpuSeconds, redisCommandCalls, redisCpuSeconds } from './lib/process-usage.ts'
import { userFollowed } from './lib/seed-events.ts'
import { spawnDevstack } from './lib/spawn-devstack.ts'
import { spawnServing } from './lib/spawn-serving.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    json: { type: 'string' },
    rates: { type: 'string', default: '100,250,500' },
  },
})
const quick = Boolean(args.quick)
const seconds = quick ? 3 : 60
/** The write path's target: p99 201 → in the follower's home feed, ms (issue 23). */
const P99_TARGET_MS = 250
const outageSec = quick ? 5 : 30
const root = join(import.meta.dir, '..')
const procs = new Map<string, ReturnType<typeof Bun.spawn>>()

// Its own process, as `npm start` runs it: the load generator and the pollers below
// would otherwise share the servers' event loop.
// One process each, so each one's CPU per post can be read on its own.
const [kafkaStack, mongoStack, consulStack] = await Promise.all([
  spawnDevstack(['kafka']),
  spawnDevstack(['mongo']),
  spawnDevstack(['consul']),
])
const stack = {
  brokers: kafkaStack.brokers,
  url: (s: 'consul' | 'mongo') => (s === 'consul' ? consulStack : mongoStack).url(s),
  stop: () => Promise.all([kafkaStack, mongoStack, consulStack].map((x) => x.stop())),
}
const redis = await startTestRedis()
const redisClient = redis ? new Bun.RedisClient(redis.url) : null
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })
const env = {
  HOST: '127.0.0.1',
  ADVERTISE_ADDRESS: '127.0.0.1',
  CONSUL_HTTP_ADDR: stack.url('consul'),
  KAFKA_BROKERS: stack.brokers.join(','),
  MONGO_URL: stack.url('mongo'),
  AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks`,
  REDIS_URL: redis?.url ?? '',
  FEED_KEY_PREFIX: `bench-events-${Date.now()}:`,
  RATE_LIMIT_WRITES_PER_MIN: '10000000',
  LOG_LEVEL: 'error',
}

async function start(name: string, main: string, port: number): Promise<string> {
  const url = `http://127.0.0.1:${port}`
  const proc = await spawnServing([process.execPath, join(root, main)], {
    env: { ...env, PORT: String(port) },
    probe: `${url}/health/ready`,
    timeoutMs: 60_000,
  })
  procs.set(name, proc)
  return url
}

/** CPU seconds used so far by each process on the write path (Redis by INFO). */
async function cpuNow(): Promise<Record<string, number>> {
  const of = (name: string) => cpuSeconds(procs.get(name)!.pid)
  return {
    gateway: of('gateway'),
    posts: of('posts'),
    'mongo stand-in': cpuSeconds(mongoStack.proc.pid),
    'kafka broker': cpuSeconds(kafkaStack.proc.pid),
    feed: of('feed'),
    ...(redisClient ? { redis: await redisCpuSeconds(redisClient) } : {}),
    'load generator (this process)':
      process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  }
}

const percentileRow = (label: string, s: Summary | null, lost: number) =>
  s
    ? [
        label,
        String(s.n),
        String(lost),
        fmt(s.p50),
        fmt(s.p95),
        fmt(s.p99),
        fmt(s.p999),
        fmt(s.max),
      ]
    : [label, '0', String(lost), '-', '-', '-', '-', '-']

try {
  const feedPort = await freePort()
  await start('posts', 'services/posts/src/main.ts', await freePort())
  await start('feed', 'services/feed/src/main.ts', feedPort)
  const gateway = await start('gateway', 'gateway/src/main.ts', await freePort())
  const api = stackClient(gateway)
  // The gateway learns instances from Consul; wait until it routes to both.
  for (const deadline = Date.now() + 30_000; ; ) {
    const h = (await (await fetch(`${gateway}/gateway/health`)).json()) as {
      services: Record<string, { instances: number }>
    }
    if (h.services.posts?.instances && h.services.feed?.instances) break
    if (Date.now() > deadline) throw new Error('the gateway never saw posts and feed')
    await Bun.sleep(50)
  }

  // The follower graph, as events.
  const { edges: all, texts } = await loadDataset(defaultDataDir, 'epinions')
  const { nodes, edges } = densestSubgraph(all, quick ? 300 : 1_000)
  const sessions = new Map<number, Session>()
  for (const n of nodes) {
    const userId = crypto.randomUUID()
    sessions.set(n, {
      userId,
      email: `${n}@bench`,
      token: await issuer.tokenFor(userId, { expiresInSec: 3_600 }),
    })
  }
  const publisher = await createEventPublisher({
    brokers: stack.brokers,
    clientId: 'bench-events',
    logger: silentLogger(),
  })
  for (let i = 0; i < edges.length; i += 500) {
    await publisher.publish(
      edges
        .slice(i, i + 500)
        .map((e) =>
          userFollowed(sessions.get(e.follower)!.userId, sessions.get(e.followee)!.userId),
        ),
    )
  }
  await publisher.close()
  const followersOf = new Map<number, number[]>()
  const following = new Map<number, number>()
  for (const e of edges) {
    const list = followersOf.get(e.followee) ?? []
    if (list.length === 0) followersOf.set(e.followee, list)
    list.push(e.follower)
    following.set(e.follower, (following.get(e.follower) ?? 0) + 1)
  }
  const watchers = new Set(
    [...following]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([n]) => n),
  )
  console.error(`events: ${edges.length} follows published; waiting for the feed to apply them`)
  // Warm-up: once the last follow's follower sees a post, the graph is applied.
  const last = edges.at(-1)!
  const warm = await api.createPost(sessions.get(last.followee)!, 'warm-up')
  for (const deadline = Date.now() + 120_000; ; ) {
    if ((await api.home(sessions.get(last.follower)!, 100)).some((i) => i.id === warm.id)) break
    if (Date.now() > deadline) throw new Error('the follow graph was not applied in 2 minutes')
    await Bun.sleep(50)
  }
  const authors = nodes.filter((n) => followersOf.has(n))
  const random = seededRandom(1)
  const plan = (count: number): PlannedPost[] =>
    planPosts(count, authors, followersOf, watchers, texts, random).map((p) => ({
      author: sessions.get(p.author)!,
      body: p.text,
      watcher: p.watcher === undefined ? undefined : sessions.get(p.watcher),
    }))
  const meanFollowers = edges.length / authors.length

  // What the stack spends doing nothing, so CPU per post can be read against it.
  const idleSec = quick ? 2 : 10
  const idle0 = await cpuNow()
  await Bun.sleep(idleSec * 1000)
  const idle1 = await cpuNow()
  const idlePercent = Object.fromEntries(
    Object.keys(idle1).map((k) => [k, ((idle1[k]! - idle0[k]!) * 100) / idleSec]),
  )
  const rates = args.rates.split(',').map(Number)
  if (rates.some((r) => !Number.isFinite(r) || r <= 0))
    throw new Error(`--rates takes posts per second separated by commas, got ${args.rates}`)
  const runs: (PropagationResult & {
    rate: number
    cpuPerPostMs: Record<string, number>
    /** Redis commands per post, by command (the feed's writes and every page read, the sweeps' included). */
    redisPerPost: string | null
  })[] = []
  let totalPosts = 1
  for (const rate of rates) {
    console.error(`events: ${rate} posts/s for ${seconds} s`)
    // Planned before the CPU readings: only sending and watching are the load generator's cost.
    const planned = plan(rate * seconds)
    const before = await cpuNow()
    const calls0 = redisClient ? await redisCommandCalls(redisClient) : null
    const r = await measurePropagation(api, planned, {
      ratePerSec: rate,
      timeoutMs: 30_000,
    })
    const after = await cpuNow()
    const redisPerPost =
      redisClient && calls0
        ? commandsPer(calls0, await redisCommandCalls(redisClient), r.sent)
        : null
    totalPosts += r.sent
    const cpuPerPostMs = Object.fromEntries(
      Object.keys(after).map((k) => [k, ((after[k]! - before[k]!) * 1000) / r.sent]),
    )
    runs.push({ rate, cpuPerPostMs, redisPerPost, ...r })
  }

  /**
   * Waits until the feed's consumer has no lag on any partition and post `id` is in
   * the global feed. @throws after `timeoutMs`.
   */
  const caughtUp = async (id: string, timeoutMs: number) => {
    const t = performance.now()
    for (;;) {
      const ready = (await fetch(`http://127.0.0.1:${feedPort}/health/ready`)
        .then((r) => r.json())
        .catch(() => null)) as {
        checks?: Record<string, { details?: { consumer?: { lag?: { lag: number }[] } } }>
      } | null
      const lags = Object.values(ready?.checks ?? {}).flatMap((c) => c.details?.consumer?.lag ?? [])
      const lag = lags.length ? lags.reduce((n, l) => n + l.lag, 0) : Number.POSITIVE_INFINITY
      if (lag === 0 && (await api.global(100)).some((i) => i.id === id)) return
      if (performance.now() - t > timeoutMs)
        throw new Error(`the feed did not catch up in ${timeoutMs / 60_000} minutes`)
      await Bun.sleep(20)
    }
  }
  // The rates above may leave a backlog (posts not yet relayed or applied): drain it
  // first, so the catch-up below times only the posts written during the outage.
  const drainedAt = performance.now()
  await caughtUp((await api.createPost(plan(1)[0]!.author, 'drained')).id, 600_000)
  const drainSec = (performance.now() - drainedAt) / 1000
  // Catch-up: stop the feed, keep posting, restart it, time until all is visible.
  console.error(`events: feed stopped for ${outageSec} s while posting at 100/s`)
  const feed = procs.get('feed')!
  feed.kill('SIGTERM')
  await feed.exited
  const outagePosts = plan(100 * outageSec)
  const written: string[] = []
  const t0 = performance.now()
  for (let i = 0; i < outagePosts.length; i++) {
    const due = t0 + i * 10
    const wait = due - performance.now()
    if (wait > 0) await Bun.sleep(wait)
    const p = outagePosts[i]!
    written.push((await api.createPost(p.author, p.body)).id)
  }
  const restartedAt = performance.now()
  await start('feed', 'services/feed/src/main.ts', feedPort)
  await caughtUp(written.at(-1)!, 300_000)
  const catchUpSec = (performance.now() - restartedAt) / 1000
  const catchUp = {
    outageSec,
    backlogDrainSec: drainSec,
    postsDuringOutage: written.length,
    catchUpSec,
    // With Redis the feed resumes where it stopped; in process it replays everything.
    eventsApplied: redis ? written.length : edges.length + totalPosts + written.length,
    eventsPerSec:
      (redis ? written.length : edges.length + totalPosts + written.length) / catchUpSec,
    mode: redis
      ? 'resumed from committed offsets (Redis read model)'
      : 'rebuilt from the beginning (in-process read model)',
  }

  const store = redis ? 'Redis' : 'in-process store'
  const headers = [
    '201 → visible, ms',
    'seen',
    'not seen within 30 s',
    'p50',
    'p95',
    'p99',
    'p99.9',
    'max',
  ]
  let out = `\n## Event propagation (${store}; ${nodes.length} users, ${edges.length} follows from soc-Epinions1, ${fmt(meanFollowers)} followers per author on average; ${seconds} s per rate)${quick ? ' (--quick)' : ''}\n`
  for (const r of runs) {
    out += `\n### ${r.rate} posts/s\n\n${markdownTable(headers, [
      percentileRow('global feed', r.global, r.lostGlobal.length),
      percentileRow("watcher's home feed", r.home, r.lostHome.length),
    ])}\n`
  }
  const processes = Object.keys(runs[0]!.cpuPerPostMs)
  out += `\n### CPU per post, by process (ms of one core)\n\n${markdownTable(
    ['rate', ...processes, 'all'],
    runs.map((r) => [
      `${r.rate} posts/s`,
      ...processes.map((p) => fmt(r.cpuPerPostMs[p]!)),
      fmt(Object.values(r.cpuPerPostMs).reduce((a, b) => a + b, 0)),
    ]),
  )}\n\nIdle, before the first rate (% of one core over ${idleSec} s): ${processes.map((p) => `${p} ${fmt(idlePercent[p]!)}%`).join(', ')}.\n`
  for (const r of runs)
    if (r.redisPerPost)
      out += `\nRedis commands per post at ${r.rate} posts/s (the feed's writes and every page read, the watchers' included): ${r.redisPerPost}.\n`
  const meets = (r: (typeof runs)[number]) =>
    r.home !== null &&
    r.home.p99 <= P99_TARGET_MS &&
    r.lostHome.length === 0 &&
    r.lostGlobal.length === 0
  const best = runs.filter(meets).at(-1)
  const busiest = (r: (typeof runs)[number]) =>
    Object.entries(r.cpuPerPostMs).sort((a, b) => b[1] - a[1])[0]!
  const top = runs.at(-1)!
  out += `\nHighest rate tried whose home-feed p99 is within ${P99_TARGET_MS} ms with nothing lost: ${best ? `**${best.rate} posts/s**` : '**none**'}. Target: 500 posts/s for ${seconds} s: ${best?.rate === 500 && seconds >= 60 ? 'met' : 'MISSED'}. At ${top.rate} posts/s the process with the most CPU per post is ${busiest(top)[0]} (${fmt(busiest(top)[1])} ms, so at most ${fmt(1000 / busiest(top)[1])} posts/s on one core).\n`
  out += `\n### Catch-up after a ${outageSec} s feed outage\n\n${markdownTable(
    [
      'posts written during the outage',
      'events applied after restart',
      'restart to caught up',
      'catch-up rate',
      'how',
    ],
    [
      [
        String(catchUp.postsDuringOutage),
        String(catchUp.eventsApplied),
        `${fmt(catchUp.catchUpSec)} s`,
        `${fmt(catchUp.eventsPerSec)} events/s`,
        catchUp.mode,
      ],
    ],
  )}\n\nThe backlog the rates left behind took ${fmt(catchUp.backlogDrainSec)} s to drain before the outage began.\n\n`
  console.log(out)
  const file = args.json ?? join(root, 'bench', 'results', 'events.json')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        quick,
        store,
        users: nodes.length,
        follows: edges.length,
        runs: runs.map(({ timeline: _t, ...r }) => r),
        idlePercent,
        catchUp,
        // The check's propagation limit (p99 ≤ 1 s) as the target of every rate.
        figures: runs.flatMap((r) =>
          propagationFigures(r, 1_000).map((f) => ({
            ...f,
            title: `${r.rate} posts/s: ${f.title}`,
          })),
        ),
      },
      null,
      2,
    )}\n`,
  )
  console.log(`JSON: ${file}`)
} finally {
  for (const p of procs.values()) p.kill('SIGTERM')
  await Promise.all([...procs.values()].map((p) => p.exited))
  jwks.stop(true)
  redisClient?.close()
  await stack.stop()
  await redis?.stop()
}
