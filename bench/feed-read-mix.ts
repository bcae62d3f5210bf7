/**
 * Feed reads on a realistic mix: the feed service on a real Redis, its read model
 * built from events (the densest 10,000 users of SNAP soc-Epinions1 with their
 * follows, then two posts per user from authors drawn by follower count); wrk (32
 * connections, one Lua script) requests home pages of users drawn from a Zipf
 * distribution (s = 1; the most active reader is rank 1), 10% of them the second
 * page (the first page's `nextCursor`). An Elysia hello answers the same script
 * in the same run as the reference, and so does an Elysia route whose only work
 * is one Redis read (the floor of any page that reads the user's timeline from
 * Redis). Targets: >= 0.3x the hello's requests/s and p99 <= 2x the hello's.
 *
 * Usage: bun bench/feed-read-mix.ts [--quick] [--seconds N] [--json FILE]
 * (--quick: 2,000 users, 3 s per run).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startTestRedis } from '@civildiy/devstack'
import {
  defaultDataDir,
  densestSubgraph,
  fmt,
  loadDataset,
  markdownTable,
  positiveNumber,
  seededRandom,
} from '@civildiy/harness'
import { createEventPublisher } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { commandsPer, cpuSeconds, redisCommandCalls, redisCpuSeconds } from './lib/process-usage.ts'
import { postCreated, userFollowed } from './lib/seed-events.ts'
import { spawnDevstack } from './lib/spawn-devstack.ts'
import { spawnServing } from './lib/spawn-serving.ts'
import { ensureDebianPackages, wrk } from './lib/wrk.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    json: { type: 'string' },
  },
})
const seconds = positiveNumber(args, 'seconds', args.quick ? 3 : 10)
const userCount = args.quick ? 2_000 : 10_000
const root = join(import.meta.dir, '..')
const scratch = mkdtempSync(join(tmpdir(), 'bench-read-mix-'))

await ensureDebianPackages({ wrk: 'wrk' })
const redis = await startTestRedis()
if (!redis) {
  console.error('bench/feed-read-mix: no redis-server could be started (install redis-server)')
  process.exit(1)
}
const redisInfo = new Bun.RedisClient(redis.url)
const stack = await spawnDevstack(['kafka'])
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })
const procs: ReturnType<typeof Bun.spawn>[] = []

/** The densest users of soc-Epinions1 as ids, their follows and posts, published as events. */
async function seed(): Promise<{ ids: string[]; readers: string[]; posts: number }> {
  const { edges: all, texts } = await loadDataset(defaultDataDir, 'epinions')
  const { nodes, edges } = densestSubgraph(all, userCount)
  const idOf = new Map(nodes.map((n) => [n, crypto.randomUUID()]))
  const publisher = await createEventPublisher({
    brokers: stack.brokers,
    clientId: 'bench-read-mix',
    logger: silentLogger(),
  })
  const followers = new Map<number, number>()
  for (const e of edges) followers.set(e.followee, (followers.get(e.followee) ?? 0) + 1)
  for (let i = 0; i < edges.length; i += 1_000)
    await publisher.publish(
      edges
        .slice(i, i + 1_000)
        .map((e) => userFollowed(idOf.get(e.follower)!, idOf.get(e.followee)!)),
    )
  // Authors drawn by follower count: the ones many follow also write the most.
  const authors = nodes.filter((n) => followers.has(n))
  const cumulative: number[] = []
  for (const n of authors) cumulative.push((cumulative.at(-1) ?? 0) + followers.get(n)!)
  const random = seededRandom(7)
  const pick = () => authors[lowerBound(cumulative, random() * cumulative.at(-1)!)]!
  const posts = 2 * nodes.length
  const start = Date.now() - posts * 1_000
  for (let i = 0; i < posts; i += 1_000) {
    await publisher.publish(
      Array.from({ length: Math.min(1_000, posts - i) }, (_, j) =>
        postCreated(
          idOf.get(pick())!,
          texts[(i + j) % texts.length]!,
          new Date(start + (i + j) * 1_000),
        ),
      ),
    )
  }
  await publisher.close()
  // Readers by activity: the users who follow the most are ranked first for the Zipf draw.
  const following = new Map<number, number>()
  for (const e of edges) following.set(e.follower, (following.get(e.follower) ?? 0) + 1)
  const readers = [...nodes]
    .sort((a, b) => (following.get(b) ?? 0) - (following.get(a) ?? 0))
    .map((n) => idOf.get(n)!)
  console.error(`read-mix: ${edges.length} follows and ${posts} posts published`)
  return { ids: [...idOf.values()], readers, posts }
}

/** The first index whose cumulative weight reaches `r` (ascending `cdf`). */
function lowerBound(cdf: ArrayLike<number>, r: number): number {
  let lo = 0
  let hi = cdf.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cdf[mid]! < r) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Zipf(s = 1) ranks in [0, n): inverse CDF over the harmonic weights. */
function zipfSampler(n: number, random: () => number): () => number {
  const cdf = new Float64Array(n)
  let sum = 0
  for (let k = 1; k <= n; k++) {
    sum += 1 / k
    cdf[k - 1] = sum
  }
  return () => lowerBound(cdf, random() * sum)
}

/** Waits until the feed consumer's lag is 0 on every partition (the model is built). */
async function caughtUp(feedUrl: string): Promise<void> {
  const deadline = Date.now() + 600_000
  for (;;) {
    const ready = (await fetch(`${feedUrl}/health/ready`)
      .then((r) => r.json())
      .catch(() => null)) as {
      checks?: Record<string, { details?: { consumer?: { lag?: { lag: number }[] } } }>
    } | null
    const lags = Object.values(ready?.checks ?? {}).flatMap((c) => c.details?.consumer?.lag ?? [])
    if (lags.length && lags.every((l) => l.lag === 0)) return
    if (Date.now() > deadline) throw new Error('the feed did not apply the seeded events in 10 min')
    await Bun.sleep(250)
  }
}

/** A wrk Lua script cycling through `requests` (path and bearer token each). */
function writeScript(requests: { path: string; token: number }[], tokens: string[]): string {
  const file = join(scratch, 'mix.lua')
  const lua = [
    `local tokens = {${tokens.map((t) => `"${t}"`).join(',')}}`,
    `local paths = {${requests.map((r) => `"${r.path}"`).join(',')}}`,
    `local who = {${requests.map((r) => r.token + 1).join(',')}}`,
    'local i = 0',
    'request = function()',
    '  i = i % #paths + 1',
    '  return wrk.format("GET", paths[i], { ["authorization"] = "Bearer " .. tokens[who[i]] })',
    'end',
  ]
  writeFileSync(file, `${lua.join('\n')}\n`)
  return file
}

const runWrk = (base: string, script: string) => wrk(base, { connections: 32, seconds, script })

async function spawn(
  main: string,
  env: Record<string, string>,
  probe: string,
): Promise<{ url: string; pid: number }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = await spawnServing([process.execPath, join(root, main)], {
    env: { PORT: String(port), ...env },
    probe: url + probe,
    timeoutMs: 60_000,
  })
  procs.push(proc)
  return { url, pid: proc.pid }
}

try {
  const prefix = `bench-mix-${Date.now()}:`
  const feed = await spawn(
    'services/feed/src/main.ts',
    {
      KAFKA_BROKERS: stack.brokers[0]!,
      AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks`,
      CONSUL_HTTP_ADDR: '',
      REDIS_URL: redis.url,
      FEED_KEY_PREFIX: prefix,
      LOG_LEVEL: 'error',
    },
    '/health/live',
  )
  const hello = await spawn('bench/fixtures/elysia-hello.ts', {}, '/health/live')
  const oneRead = await spawn(
    'bench/fixtures/elysia-redis-read.ts',
    { REDIS_URL: redis.url, FEED_KEY_PREFIX: prefix },
    '/health/live',
  )
  const { readers, posts } = await seed()
  await caughtUp(feed.url)
  const tokens = await Promise.all(
    readers.map((id) => issuer.tokenFor(id, { expiresInSec: 3_600 })),
  )
  const random = seededRandom(11)
  const draw = zipfSampler(readers.length, random)
  const draws = Array.from({ length: 20_000 }, () => ({ user: draw(), page2: random() < 0.1 }))
  // The second page needs the first page's cursor: read it once per paging user.
  const cursors = new Map<number, string | null>()
  for (const d of draws)
    if (d.page2 && !cursors.has(d.user)) {
      const page = (await (
        await fetch(`${feed.url}/feed?limit=20`, {
          headers: { authorization: `Bearer ${tokens[d.user]}` },
        })
      ).json()) as { nextCursor?: string | null }
      cursors.set(d.user, page.nextCursor ?? null)
    }
  const requests = draws.map((d) => {
    const cursor = d.page2 ? cursors.get(d.user) : null
    return {
      path: cursor ? `/feed?limit=20&cursor=${encodeURIComponent(cursor)}` : '/feed?limit=20',
      token: d.user,
    }
  })
  const distinct = new Set(draws.map((d) => d.user)).size
  const paged = requests.filter((r) => r.path.includes('cursor=')).length / requests.length
  const script = writeScript(requests, tokens)
  await runWrk(hello.url, script) // warm-up, both
  await runWrk(feed.url, script)
  const helloRun = await runWrk(hello.url, script)
  await runWrk(oneRead.url, script)
  const redis1 = await redisCpuSeconds(redisInfo)
  const oneReadRun = await runWrk(oneRead.url, script)
  const oneReadRedisUs = (((await redisCpuSeconds(redisInfo)) - redis1) * 1e6) / oneReadRun.requests
  const cpu0 = cpuSeconds(feed.pid)
  const redis0 = await redisCpuSeconds(redisInfo)
  const calls0 = await redisCommandCalls(redisInfo)
  const feedRun = await runWrk(feed.url, script)
  const feedCpuUs = ((cpuSeconds(feed.pid) - cpu0) * 1e6) / feedRun.requests
  const redisUs = (((await redisCpuSeconds(redisInfo)) - redis0) * 1e6) / feedRun.requests
  // What a page costs Redis, by command (the feed's consumer is idle by now).
  const perPage = commandsPer(calls0, await redisCommandCalls(redisInfo), feedRun.requests)
  if (helloRun.errors > 0)
    throw new Error(`the hello answered ${helloRun.errors} requests with an error`)
  const throughput = feedRun.perSecond / helloRun.perSecond
  const p99 = feedRun.ms.p99 / helloRun.ms.p99
  const table = markdownTable(
    [
      '32 connections, wrk, one script',
      'requests/s',
      'p50',
      'p99',
      'errors',
      'CPU per page: feed / Redis',
      'against the hello',
    ],
    [
      [
        'Elysia hello (reference, same requests)',
        fmt(helloRun.perSecond),
        `${fmt(helloRun.ms.p50)} ms`,
        `${fmt(helloRun.ms.p99)} ms`,
        String(helloRun.errors),
        '-',
        '1',
      ],
      [
        'Elysia route doing one Redis read (reference: the floor of a page read from Redis)',
        fmt(oneReadRun.perSecond),
        `${fmt(oneReadRun.ms.p50)} ms`,
        `${fmt(oneReadRun.ms.p99)} ms`,
        String(oneReadRun.errors),
        `- / ${fmt(oneReadRedisUs)} µs`,
        `${fmt(oneReadRun.perSecond / helloRun.perSecond)}x throughput, p99 ${fmt(oneReadRun.ms.p99 / helloRun.ms.p99)}x`,
      ],
      [
        'feed: home pages, Zipf(1) readers, 10% second pages',
        fmt(feedRun.perSecond),
        `${fmt(feedRun.ms.p50)} ms`,
        `${fmt(feedRun.ms.p99)} ms`,
        String(feedRun.errors),
        `${fmt(feedCpuUs)} µs / ${fmt(redisUs)} µs`,
        `${fmt(throughput)}x throughput (>= 0.3x: ${throughput >= 0.3 ? 'met' : 'MISSED'}), p99 ${fmt(p99)}x (<= 2x: ${p99 <= 2 ? 'met' : 'MISSED'})`,
      ],
    ],
  )
  console.log(
    `\n## Feed reads, realistic mix (${readers.length} users and ${posts} posts from soc-Epinions1; ${distinct} distinct readers in ${draws.length} draws, ${fmt(paged * 100)}% second pages; ${seconds} s per run)${args.quick ? ' (--quick)' : ''}\n\n${table}\nRedis commands per feed page: ${perPage}.\n`,
  )
  const out = args.json ?? join(root, 'bench', 'results', 'feed-read-mix.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), users: readers.length, posts, distinct, paged, seconds, hello: helloRun, oneRead: oneReadRun, oneReadRedisUs, feed: feedRun, feedCpuUs, redisUs, redisCommandsPerPage: perPage }, null, 2)}\n`,
  )
  console.log(`JSON: ${out}`)
} finally {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => p.exited))
  jwks.stop(true)
  redisInfo.close()
  await stack.stop()
  await redis.stop()
  rmSync(scratch, { recursive: true, force: true })
}
