/**
 * Fan-out on write in Redis, by itself: posts by authors of the densest 1,000
 * users of SNAP soc-Epinions1 (drawn by follower count, as bench/events.ts does)
 * are fanned out to their followers' home feeds through the feed's Redis store,
 * and Redis's own CPU per post is read from `INFO cpu`. Three runs on the same
 * follower sets, each into empty home feeds: the single-post script the store used
 * before (the reference: one EVALSHA per post), the store's fan-out one post at a
 * time (a batch of one, what an idle consumer sends), and the store's fan-out with
 * 16 posts in flight (the consumer's default concurrency), where posts arriving
 * while a script runs go out together (src/store/fanout-batcher.ts).
 * `INFO commandstats` gives the posts per script call.
 *
 * Usage: bun bench/feed-fanout.ts [--quick] [--json FILE]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { startTestRedis } from '@civildiy/devstack'
import {
  defaultDataDir,
  densestSubgraph,
  fmt,
  loadDataset,
  markdownTable,
  seededRandom,
} from '@civildiy/harness'
import { FANOUT_SCRIPT } from '../services/feed/src/store/fanout-script.ts'
import { createRedisStore } from '../services/feed/src/store/redis-store.ts'
import { redisCpuSeconds } from './lib/process-usage.ts'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, json: { type: 'string' } },
})
const posts = args.quick ? 2_000 : 10_000
const HOME_CAP = 800
const redis = await startTestRedis()
if (!redis) {
  console.error('bench/feed-fanout: no redis-server could be started (install redis-server)')
  process.exit(1)
}
const client = new Bun.RedisClient(redis.url)
const store = createRedisStore(redis.url)

const { edges: all } = await loadDataset(defaultDataDir, 'epinions')
const { edges } = densestSubgraph(all, 1_000)
const followers = new Map<number, string[]>()
for (const e of edges) {
  const list = followers.get(e.followee) ?? []
  list.push(String(e.follower))
  followers.set(e.followee, list)
}
for (const [author, list] of followers) await client.send('SADD', [`fo:${author}`, ...list])
// Authors drawn by follower count: the ones many follow also write the most.
const weighted = [...followers].flatMap(([author, list]) => list.map(() => author))
const random = seededRandom(23)
const plan = Array.from({ length: posts }, (_, n) => ({
  author: weighted[Math.floor(random() * weighted.length)]!,
  score: 1_000_000 + n,
  member: `p${n}`,
}))
const writesPerPost = plan.reduce((s, p) => s + followers.get(p.author)!.length + 1, 0) / posts

/** Script calls so far (EVAL and EVALSHA), from INFO commandstats. */
async function scriptCalls(): Promise<number> {
  const info = String(await client.send('INFO', ['commandstats']))
  let n = 0
  for (const m of info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)) n += Number(m[1])
  return n
}

async function measure(name: string, run: (prefix: string) => Promise<void>) {
  const prefix = `home-${name.replace(/\W+/g, '-')}:`
  const [cpu0, calls0] = [await redisCpuSeconds(client), await scriptCalls()]
  const t0 = performance.now()
  await run(prefix)
  const wallMs = performance.now() - t0
  const [cpu1, calls1] = [await redisCpuSeconds(client), await scriptCalls()]
  const perPostUs = ((cpu1 - cpu0) * 1e6) / posts
  return {
    name,
    perPostUs,
    perWriteUs: perPostUs / writesPerPost,
    postsPerCall: posts / (calls1 - calls0),
    wallMs,
  }
}

/** Every planned post through the store's fan-out, `inFlight` at a time. */
async function fanOutAll(prefix: string, inFlight: number) {
  let next = 0
  const worker = async () => {
    while (next < plan.length) {
      const p = plan[next++]!
      await store.fanOut(
        `fo:${p.author}`,
        prefix,
        [homeOf(prefix, p.author)],
        p.score,
        p.member,
        HOME_CAP,
      )
    }
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
}

const singleSha = String(await client.send('SCRIPT', ['LOAD', FANOUT_SCRIPT]))
const homeOf = (prefix: string, author: number) => `${prefix}${author}`
const results = [
  await measure('single-post script, one at a time (reference)', async (prefix) => {
    for (const p of plan)
      await client.send('EVALSHA', [
        singleSha,
        '1',
        `fo:${p.author}`,
        prefix,
        String(p.score),
        p.member,
        String(HOME_CAP),
        homeOf(prefix, p.author),
      ])
  }),
  await measure('store fan-out, one at a time', (prefix) => fanOutAll(prefix, 1)),
  await measure('store fan-out, 16 in flight (batched)', (prefix) => fanOutAll(prefix, 16)),
]
const reference = results[0]!.perPostUs
console.log(
  `\n## Fan-out on write in Redis (${posts.toLocaleString('en-US')} posts, densest 1,000 users of soc-Epinions1, ${fmt(writesPerPost)} home feeds per post, cap ${HOME_CAP})${args.quick ? ' (--quick)' : ''}\n`,
)
console.log(
  markdownTable(
    [
      'run',
      'Redis CPU per post',
      'per home-feed write',
      'posts per script call',
      'against the reference',
      'wall time',
    ],
    results.map((r) => [
      r.name,
      `${fmt(r.perPostUs)} µs`,
      `${fmt(r.perWriteUs)} µs`,
      fmt(r.postsPerCall),
      `${fmt(r.perPostUs / reference)}x`,
      `${fmt(r.wallMs)} ms`,
    ]),
  ),
)
const jsonFile = args.json ?? join(import.meta.dir, 'results', 'feed-fanout.json')
mkdirSync(dirname(jsonFile), { recursive: true })
writeFileSync(jsonFile, JSON.stringify({ posts, writesPerPost, results }, null, 2))
console.log(`\nJSON: ${jsonFile}`)
client.close()
await store.close()
await redis.stop()
