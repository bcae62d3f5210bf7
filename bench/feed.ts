/**
 * Feed benchmark, with posts and feed as real processes on the devstack Kafka
 * broker (and a real Redis for the read model when one can be started):
 *  1. post-created to visible-in-feed latency at a steady 200 posts/s from an author
 *     followed by 1,000 users, measured from sending the POST to a follower's home
 *     feed first listing the post (polled back to back), with fan-out on write and
 *     with fan-out on read, after a warm-up at the same rate that is not measured;
 *  2. home-feed page (20 items) reads/s and p50/p99 from the feed service directly,
 *     next to an Elysia hello in the same run.
 *
 * Usage: bun bench/feed.ts [--quick] [--json FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startTestRedis } from '@civildiy/devstack'
import { fmt, markdownTable, pageBack, ratio, summarize } from '@civildiy/harness'
import { createEventPublisher } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { load } from './lib/load.ts'
import { cpuSeconds, redisCpuSeconds } from './lib/process-usage.ts'
import { userFollowed } from './lib/seed-events.ts'
import { spawnDevstack } from './lib/spawn-devstack.ts'
import { spawnServing } from './lib/spawn-serving.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean' }, json: { type: 'string' } },
})
const quick = Boolean(args.quick)
const root = join(import.meta.dir, '..')
const procs: ReturnType<typeof Bun.spawn>[] = []

// Its own process, as `npm start` runs it: the poller and the posting loop below
// would otherwise share the broker's event loop.
const broker = await spawnDevstack(['kafka', 'mongo'])
const redis = await startTestRedis()
const redisInfo = redis ? new Bun.RedisClient(redis.url) : null
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })

const pidOf = new Map<string, number>()

async function spawn(
  cmd: string[],
  env: Record<string, string>,
  readyPath = '/health/live',
): Promise<string> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = await spawnServing(cmd, {
    env: { PORT: String(port), ...env },
    probe: url + readyPath,
  })
  procs.push(proc)
  pidOf.set(url, proc.pid)
  return url
}

try {
  const common = {
    KAFKA_BROKERS: broker.brokers[0]!,
    AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks`,
    CONSUL_HTTP_ADDR: '',
  }
  const postsUrl = await spawn([process.execPath, join(root, 'services/posts/src/main.ts')], {
    ...common,
    MONGO_URL: broker.url('mongo'),
  })
  const startFeed = (threshold: number) =>
    spawn([process.execPath, join(root, 'services/feed/src/main.ts')], {
      ...common,
      REDIS_URL: redis?.url ?? '',
      FEED_KEY_PREFIX: `bench-${threshold}-${Date.now()}:`,
      FANOUT_THRESHOLD: String(threshold),
    })
  const helloUrl = await spawn(
    [process.execPath, join(import.meta.dir, 'fixtures/elysia-hello.ts')],
    {},
    '/',
  )

  const rate = 200
  const seconds = quick ? 3 : 15
  const warmupSeconds = quick ? 1 : 2
  const writer = crypto.randomUUID()
  const writerToken = await issuer.tokenFor(writer)
  const post = (body: string) =>
    fetch(`${postsUrl}/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${writerToken}` },
      body: JSON.stringify({ body }),
    })

  /** Redis server CPU seconds so far (INFO cpu: user + sys), or null without Redis. */
  const redisCpu = async () => (redisInfo ? await redisCpuSeconds(redisInfo) : null)

  /** Propagation at `rate` posts/s from an author followed by 1,000 users, through a feed with this fan-out threshold. */
  async function propagation(threshold: number) {
    const feedUrl = await startFeed(threshold)
    const followers = Array.from({ length: 1_000 }, () => crypto.randomUUID())
    const publisher = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'bench-feed',
      logger: silentLogger(),
    })
    for (let i = 0; i < followers.length; i += 100) {
      await publisher.publish(followers.slice(i, i + 100).map((f) => userFollowed(f, writer)))
    }
    await publisher.close()
    const readerToken = await issuer.tokenFor(followers.at(-1)!)
    const page = async (limit: number, cursor: string | null) =>
      (await (
        await fetch(`${feedUrl}/feed?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: { authorization: `Bearer ${readerToken}` },
        })
      ).json()) as { items: { id: string; createdAt: string }[]; nextCursor: string | null }
    const home = async () => (await page(20, null)).items
    // Warm up: once a post reaches the last follower's home, the follows are applied.
    const warm = (await (await post('warm-up')).json()) as { id: string }
    const warmDeadline = Date.now() + 60_000
    while (!(await home()).some((i) => i.id === warm.id)) {
      if (Date.now() > warmDeadline) throw new Error('warm-up post never reached the feed')
      await Bun.sleep(20)
    }
    const sentAt = new Map<string, number>()
    /** createdAt (ms since the epoch, from the 201) of each accepted post not seen yet. */
    const unseenCreatedAt = new Map<string, number>()
    const seenAt = new Map<string, number>()
    const pending = new Set<Promise<unknown>>()
    let polling = true
    const see = (items: { id: string }[]) => {
      const now = performance.now()
      let fresh = 0
      for (const item of items) {
        if (seenAt.has(item.id)) continue
        seenAt.set(item.id, now)
        unseenCreatedAt.delete(item.id)
        fresh++
      }
      return fresh
    }
    // Back to back; when a burst lands between two polls, page back to the newest
    // post already seen, so no post is missed for having left the first page. Posts
    // are applied concurrently, so an older one can land below posts already seen:
    // every 100 ms a sweep pages back past the oldest post not seen yet.
    const poller = (async () => {
      let lastSweep = performance.now()
      while (polling) {
        let cursor: string | null = null
        for (;;) {
          const p = await page(cursor ? 100 : 20, cursor)
          if (see(p.items) < p.items.length || !p.nextCursor || !polling) break
          cursor = p.nextCursor
        }
        if (performance.now() - lastSweep < 100 || unseenCreatedAt.size === 0) continue
        lastSweep = performance.now()
        await pageBack(
          (c) => page(100, c),
          Math.min(...unseenCreatedAt.values()),
          (items) => {
            see(items)
          },
        )
      }
    })()
    const accepted: number[] = []
    /** Posts at `rate` for `secs`; with `record`, keeps each post's send time and POST latency. */
    const drive = async (secs: number, record: boolean) => {
      const ids: string[] = []
      const start = performance.now()
      let sent = 0
      while (sent < rate * secs) {
        const due = Math.min(rate * secs, Math.floor(((performance.now() - start) / 1000) * rate))
        while (sent < due) {
          const started = performance.now()
          const p = post(`bench post ${sent}`)
            .then((r) => r.json() as Promise<{ id: string; createdAt: string }>)
            .then((b) => {
              ids.push(b.id)
              if (!seenAt.has(b.id)) unseenCreatedAt.set(b.id, Date.parse(b.createdAt))
              if (!record) return
              sentAt.set(b.id, started)
              accepted.push(performance.now() - started)
            })
          pending.add(p)
          void p.finally(() => pending.delete(p))
          sent++
        }
        await Bun.sleep(1)
      }
      await Promise.all(pending)
      return ids
    }
    // Steady state: a warm-up at the same rate (JIT, connection pools, the relay's
    // first batches) is posted and waited for, and not measured.
    const warmIds = await drive(warmupSeconds, false)
    const warmSettle = Date.now() + 60_000
    while (warmIds.some((id) => !seenAt.has(id)) && Date.now() < warmSettle) await Bun.sleep(10)
    const cpu0 = await redisCpu()
    const t0 = performance.now()
    await drive(seconds, true)
    const settle = Date.now() + 30_000
    while ([...sentAt.keys()].some((id) => !seenAt.has(id)) && Date.now() < settle)
      await Bun.sleep(10)
    polling = false
    await poller
    const cpu1 = await redisCpu()
    const wallSeconds = (performance.now() - t0) / 1000
    const latencies = [...sentAt].flatMap(([id, t]) =>
      seenAt.has(id) ? [seenAt.get(id)! - t] : [],
    )
    return {
      feedUrl,
      readerToken,
      sent: sentAt.size,
      lost: sentAt.size - latencies.length,
      ms: summarize(latencies),
      acceptedMs: summarize(accepted),
      // Includes the poller's page reads; the fan-out on write difference is the fan-out.
      redis:
        cpu0 === null || cpu1 === null
          ? null
          : {
              msPerPost: ((cpu1 - cpu0) * 1000) / (rate * seconds),
              busy: (cpu1 - cpu0) / wallSeconds,
            },
    }
  }

  // Fan-out on write: 1,000 followers is at the default threshold, so every post is copied to 1,000 home feeds.
  const onWrite = await propagation(1_000)
  // Fan-out on read: the same author counts as high-follower and is merged into home feeds at read time.
  const onRead = await propagation(999)
  const { feedUrl, readerToken } = onRead
  const loadSeconds = quick ? 2 : 10
  const feedPid = pidOf.get(feedUrl)!
  const before = { feed: cpuSeconds(feedPid), redis: await redisCpu() }
  const feedLoad = await load(`${feedUrl}/feed?limit=20`, {
    connections: 32,
    seconds: loadSeconds,
    headers: { authorization: `Bearer ${readerToken}` },
  })
  const pages = feedLoad.perSecond * loadSeconds
  const redisAfter = await redisCpu()
  const cpuPerPage = {
    feedUs: ((cpuSeconds(feedPid) - before.feed) * 1e6) / pages,
    redisUs:
      before.redis === null || redisAfter === null
        ? null
        : ((redisAfter - before.redis) * 1e6) / pages,
  }
  const helloLoad = await load(helloUrl, { connections: 32, seconds: loadSeconds })

  const store = redis ? 'Redis' : 'in-process store'
  const row = (label: string, r: typeof onWrite) => [
    label,
    `${r.sent} / ${r.sent - r.lost}`,
    `${fmt(r.ms.p50)} ms`,
    `${fmt(r.ms.p99)} ms`,
    `${fmt(r.ms.max)} ms`,
    `${fmt(r.acceptedMs.p50)} / ${fmt(r.acceptedMs.p99)} ms`,
    r.redis ? `${fmt(r.redis.msPerPost)} ms (${Math.round(r.redis.busy * 100)}% busy)` : '-',
  ]
  const propagationTable = markdownTable(
    [
      `${rate} posts/s for ${seconds} s (after ${warmupSeconds} s of warm-up, not measured), author with 1,000 followers`,
      'sent / seen',
      'p50 (POST sent → in home feed)',
      'p99',
      'max',
      'of which POST → 201, p50 / p99',
      'Redis CPU per post (server busy, whole run)',
    ],
    [
      row('fan-out on write (threshold 1,000)', onWrite),
      row('fan-out on read (threshold 999)', onRead),
      ['targets', 'none lost', '< 10 ms', '< 50 ms', '-', '-', '-'],
    ],
  )
  const readTable = markdownTable(
    [
      '32 connections, closed loop',
      'requests/s',
      'p50',
      'p99',
      'ratio to hello',
      'CPU per page: feed service / Redis',
    ],
    [
      [
        'Elysia hello (reference)',
        fmt(helloLoad.perSecond),
        `${fmt(helloLoad.ms.p50)} ms`,
        `${fmt(helloLoad.ms.p99)} ms`,
        '1',
        '-',
      ],
      [
        `feed: home page of 20 items (${store})`,
        fmt(feedLoad.perSecond),
        `${fmt(feedLoad.ms.p50)} ms`,
        `${fmt(feedLoad.ms.p99)} ms`,
        `${fmt(ratio(feedLoad.perSecond, helloLoad.perSecond))}x throughput, p99 ${fmt(ratio(feedLoad.ms.p99, helloLoad.ms.p99))}x (targets >= 0.4x, <= 2x)`,
        `${fmt(cpuPerPage.feedUs)} µs / ${cpuPerPage.redisUs === null ? '-' : `${fmt(cpuPerPage.redisUs)} µs`}`,
      ],
    ],
  )
  console.log(
    `\n## Feed propagation (${store}, author with 1,000 followers)${quick ? ' (--quick)' : ''}\n\n${propagationTable}\n\n## Feed reads\n\n${readTable}\n`,
  )
  const out = args.json ?? join(root, 'bench', 'results', 'feed.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), quick, store, rate, seconds, onWrite, onRead, feedLoad, helloLoad, cpuPerPage }, null, 2)}\n`,
  )
  console.log(`JSON: ${out}`)
} finally {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => p.exited))
  jwks.stop(true)
  await broker.stop()
  redisInfo?.close()
  await redis?.stop()
}
