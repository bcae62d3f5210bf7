/**
 * Where a feed page's CPU goes, measured in one process without an HTTP server or
 * wrk in the way: each layer of a home-page read is run 32 at a time (as wrk's 32
 * connections are) on a real Redis, and the CPU this process and Redis used is
 * divided by the pages read. The layers, cheapest first:
 *  - an Elysia route answering a constant (the hello: the framework's own cost);
 *  - raw Bun RedisClient reads: one GET, one ZRANGE of 22 rows with scores (a
 *    page's timeline read), the page's four first reads pipelined (timeline,
 *    followed high-follower authors, change-log head, epoch), and the same four
 *    as one Lua script (one command instead of four);
 *  - an Elysia route doing one ZRANGE (bench/fixtures/elysia-redis-read.ts's work);
 *  - the feed's reader (services/feed/src/feed/reader.ts) with a warm body cache;
 *  - the feed's whole app: authentication, the kit's request hooks, validation,
 *    the reader.
 * The read model: 300 users following 50 others each, 3,000 posts, built through
 * the feed's projector. Readers are drawn in turn, so every page is a different
 * user's.
 *
 * Usage: bun bench/feed-page-cost.ts [--quick] [--json FILE]
 * (--quick: 5,000 pages per layer instead of 20,000).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startTestRedis } from '@civildiy/devstack'
import { fmt, markdownTable, seededRandom } from '@civildiy/harness'
import { createMetrics } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { Elysia } from 'elysia'
import { createApp } from '../services/feed/src/app.ts'
import { openBodyCache } from '../services/feed/src/feed/body-cache.ts'
import { feedKeys } from '../services/feed/src/feed/keys.ts'
import { createProjector, defaultFeedSettings } from '../services/feed/src/feed/projector.ts'
import { createFeedReader } from '../services/feed/src/feed/reader.ts'
import { created, follow } from '../services/feed/src/feed/test-events.ts'
import { createRedisStore } from '../services/feed/src/store/redis-store.ts'
import { redisCpuSeconds } from './lib/process-usage.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } },
})
const pages = args.quick ? 5_000 : 20_000
const IN_FLIGHT = 32
const redis = await startTestRedis()
if (!redis) {
  console.error('bench/feed-page-cost: no redis-server could be started (install redis-server)')
  process.exit(1)
}
const client = new Bun.RedisClient(redis.url)
const info = new Bun.RedisClient(redis.url)
const store = createRedisStore(redis.url)
const keys = feedKeys('page-cost:')

/** 300 users, 50 follows each, 3,000 posts by random authors, applied by the projector. */
async function seed(): Promise<string[]> {
  const projector = createProjector(store, keys, defaultFeedSettings)
  const users = Array.from({ length: 300 }, () => crypto.randomUUID())
  const random = seededRandom(5)
  const anyone = () => users[Math.floor(random() * users.length)]!
  for (const u of users) for (let i = 0; i < 50; i++) await projector.apply(follow(u, anyone()))
  for (let i = 0; i < 3_000; i++) await projector.apply(created(crypto.randomUUID(), anyone()))
  return users
}

/** CPU µs per operation in this process and in Redis, `IN_FLIGHT` operations at a time. */
async function measure(op: (i: number) => Promise<unknown>): Promise<[number, number]> {
  for (let i = 0; i < 2_000; i++) await op(i)
  const redis0 = await redisCpuSeconds(info)
  const cpu0 = process.cpuUsage()
  let next = 0
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < pages) await op(next++)
    }),
  )
  const cpu = process.cpuUsage(cpu0)
  const redisSec = (await redisCpuSeconds(info)) - redis0
  return [(cpu.user + cpu.system) / pages, (redisSec * 1e6) / pages]
}

const PAGE_READS_SCRIPT = `
local rows = redis.call('ZRANGE', KEYS[1], '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 22, 'WITHSCORES')
local stars = redis.call('SINTER', KEYS[2], KEYS[3])
local newest = redis.call('XREVRANGE', KEYS[4], '+', '-', 'COUNT', 1)
return { rows, stars, newest[1] and newest[1][1] or false, redis.call('GET', KEYS[5]) }
`

try {
  const users = await seed()
  const issuer = await createTestIssuer()
  const tokens = await Promise.all(users.map((u) => issuer.tokenFor(u, { expiresInSec: 3_600 })))
  const bodies = openBodyCache(store, keys, 50_000, createMetrics('feed'))
  const reader = createFeedReader(store, keys, bodies)
  const feedApp = createApp({
    store,
    keys,
    verify: issuer.verify,
    logger: silentLogger(),
    production: true,
    metrics: createMetrics('feed'),
    bodies,
  })
  const user = (i: number) => users[i % users.length]!
  const request = (i: number) =>
    new Request('http://localhost/feed?limit=20', {
      headers: { authorization: `Bearer ${tokens[i % tokens.length]}` },
    })
  const timeline = (i: number) =>
    client.send('ZRANGE', [
      keys.home(user(i)),
      '+inf',
      '-inf',
      'BYSCORE',
      'REV',
      'LIMIT',
      '0',
      '22',
      'WITHSCORES',
    ])
  const fourReads = (i: number) =>
    Promise.all([
      timeline(i),
      client.send('SINTER', [keys.following(user(i)), keys.celebrities]),
      client.send('XREVRANGE', [keys.changes, '+', '-', 'COUNT', '1']),
      client.send('GET', [keys.consumerGroup]),
    ])
  const sha = String(await client.send('SCRIPT', ['LOAD', PAGE_READS_SCRIPT]))
  const hello = new Elysia().get('/feed', () => 'hello')
  const oneRead = new Elysia().get(
    '/feed',
    async () =>
      `{"items":${JSON.stringify(await client.send('ZRANGE', [keys.home('x'), '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', '21']))}}`,
  )
  const layers: [string, (i: number) => Promise<unknown>][] = [
    ['Elysia hello route (`app.handle`, reference)', (i) => hello.handle(request(i))],
    ['Redis: one GET', () => client.send('GET', [keys.consumerGroup])],
    ['Redis: one ZRANGE of 22 rows with scores', timeline],
    ['Redis: the four first reads of a page, pipelined', fourReads],
    [
      'Redis: the same four reads as one Lua script',
      (i) =>
        client.send('EVALSHA', [
          sha,
          '5',
          keys.home(user(i)),
          keys.following(user(i)),
          keys.celebrities,
          keys.changes,
          keys.consumerGroup,
        ]),
    ],
    ['Elysia route doing one ZRANGE (the read mix floor)', (i) => oneRead.handle(request(i))],
    ['feed reader: a home page, body cache warm', (i) => reader.home(user(i), 20)],
    [
      'feed app: auth, kit hooks, validation, reader',
      (i) => feedApp.handle(request(i)).then((r) => r.text()),
    ],
  ]
  const rows: { layer: string; processUs: number; redisUs: number }[] = []
  for (const [layer, op] of layers) {
    const [processUs, redisUs] = await measure(op)
    rows.push({ layer, processUs, redisUs })
  }
  const helloUs = rows[0]!.processUs
  console.log(
    `\n## Where a feed page's CPU goes (in process, ${IN_FLIGHT} in flight, ${pages} pages per layer)${args.quick ? ' (--quick)' : ''}\n\n${markdownTable(
      ['layer', 'this process, µs per page', 'Redis, µs per page', 'process against the hello'],
      rows.map((r) => [
        r.layer,
        fmt(r.processUs),
        fmt(r.redisUs),
        `${fmt(r.processUs / helloUs)}x`,
      ]),
    )}\n`,
  )
  const out = args.json ?? join(import.meta.dir, 'results', 'feed-page-cost.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), pages, inFlight: IN_FLIGHT, rows }, null, 2)}\n`,
  )
  console.log(`JSON: ${out}`)
} finally {
  client.close()
  info.close()
  await store.close()
  await redis.stop()
}
