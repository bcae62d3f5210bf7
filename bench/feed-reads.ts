/**
 * Feed read path on its own: the feed service on a real Redis, a home feed of 20
 * posts seeded through Kafka, then wrk (32 connections) on `GET /feed?limit=20` for
 * a plain home page and for one that merges a high-follower author's timeline.
 * Each page is also served by a bare Bun.serve running only the feed's reader (the
 * floor for a Redis-backed page), next to an Elysia hello as the reference. Prints
 * pages/s, p50/p99, the ratio to hello, and the server's and Redis's CPU per page;
 * `--profile DIR`
 * runs the feed service under `bun --cpu-prof-md` and leaves the profiles in DIR
 * (the sampled CPU time per function, for finding where a page's time goes).
 *
 * Usage: bun bench/feed-reads.ts [--seconds 8] [--quick] [--profile DIR]
 * (--quick: 3 s per run). JSON in bench/results/feed-reads.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startTestRedis } from '@civildiy/devstack'
import { fmt, markdownTable, positiveNumber, startOtlpReceiver } from '@civildiy/harness'
import { createEventPublisher } from '@civildiy/kit'
import { createTestIssuer, silentLogger } from '@civildiy/kit/testing'
import { RedisClient } from 'bun'
import { cpuSeconds, redisCpuSeconds } from './lib/process-usage.ts'
import { postCreated, userFollowed } from './lib/seed-events.ts'
import { spawnDevstack } from './lib/spawn-devstack.ts'
import { spawnServing } from './lib/spawn-serving.ts'
import { ensureDebianPackages, wrk } from './lib/wrk.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    profile: { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
})
let seconds: number
try {
  seconds = positiveNumber(args, 'seconds', args.quick ? 3 : 8)
} catch (err) {
  console.error((err as Error).message)
  process.exit(2)
}
const root = join(import.meta.dir, '..')

await ensureDebianPackages({ wrk: 'wrk' })
const redis = await startTestRedis()
if (!redis) {
  console.error('bench/feed-reads: no redis-server could be started (install redis-server)')
  process.exit(1)
}
const stack = await spawnDevstack(['kafka'])
const issuer = await createTestIssuer()
const jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })

/**
 * The functions with the most self samples in the `--cpu-prof-md` profile Bun wrote
 * for process `pid` (its file name carries the pid), as shares of all samples.
 */
function topFunctions(dir: string, pid: number, count = 8): string {
  const file = readdirSync(dir).find((f) => f.includes(`.${pid}.`) && f.endsWith('.md'))
  if (!file) return `(no profile for pid ${pid} in ${dir})`
  const text = readFileSync(join(dir, file), 'utf8')
  const bySelf = new Map<string, number>()
  let total = 0
  for (const m of text.matchAll(/^### `(.+)`\n`([^`]*)` \| Self: .* \| Samples: (\d+)$/gm)) {
    const name =
      m[2] === '[native code]'
        ? `${m[1]} (native)`
        : `${m[1]} (${m[2]!.split('/').slice(-2).join('/')})`
    const n = Number(m[3])
    bySelf.set(name, (bySelf.get(name) ?? 0) + n)
    total += n
  }
  return [...bySelf]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${((n / total) * 100).toFixed(1)}% ${name}`)
    .join('\n')
}

const redisInfo = new RedisClient(redis.url)

/**
 * wrk at 32 connections on `url` after 1 s of warm-up, with the CPU (µs) that
 * process `pid` and the Redis server spent per request.
 */
async function measure(url: string, pid: number, headers?: Record<string, string>) {
  await wrk(url, { connections: 32, seconds: 1, headers })
  const cpu0 = cpuSeconds(pid)
  const redis0 = await redisCpuSeconds(redisInfo)
  const w = await wrk(url, { connections: 32, seconds, headers })
  const requests = w.perSecond * seconds
  return {
    w,
    cpuUs: ((cpuSeconds(pid) - cpu0) * 1e6) / requests,
    redisUs: (((await redisCpuSeconds(redisInfo)) - redis0) * 1e6) / requests,
  }
}

/** Reads/s of one reader's home page: their 20 posts come from a friend, or half from a high-follower author merged at read time. */
/**
 * Seeds a home feed, then measures its pages from the feed service and from the
 * bare reader. `traces`: an OTLP endpoint the service exports to, `sample` the
 * share of requests traced; the bare reader is skipped then.
 */
async function readPages(merged: boolean, traces?: string, sample = 1) {
  const reader = crypto.randomUUID()
  const friend = crypto.randomUUID()
  const popular = crypto.randomUUID()
  const followed = merged ? [friend, popular] : [friend]
  const publisher = await createEventPublisher({
    brokers: stack.brokers,
    clientId: 'bench-feed-reads',
    logger: silentLogger(),
  })
  const body = 'a realistic sentence of some length. '.repeat(3)
  await publisher.publish([
    ...followed.map((followeeId) => userFollowed(reader, followeeId, followeeId)),
    ...Array.from({ length: 40 }, (_, i) =>
      postCreated(followed[i % followed.length]!, body, new Date(Date.now() - i * 1000)),
    ),
  ])
  await publisher.close()
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const prefix = `bench-reads-${Date.now()}:`
  const profile = args.profile
    ? ['--cpu-prof-md', `--cpu-prof-dir=${args.profile}`, '--cpu-prof-interval=200']
    : []
  const feed = await spawnServing(
    [process.execPath, ...profile, join(root, 'services/feed/src/main.ts')],
    {
      env: {
        PORT: String(port),
        KAFKA_BROKERS: stack.brokers[0]!,
        AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks`,
        CONSUL_HTTP_ADDR: '',
        REDIS_URL: redis!.url,
        FEED_KEY_PREFIX: prefix,
        // Threshold 0: every author with a follower is merged at read time.
        FANOUT_THRESHOLD: merged ? '0' : '1000',
        ...(traces
          ? {
              OTEL_EXPORTER_OTLP_ENDPOINT: traces,
              OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
              OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
              OTEL_TRACES_SAMPLER_ARG: String(sample),
            }
          : {}),
      },
      probe: `${url}/health/live`,
    },
  )
  try {
    const headers = { authorization: `Bearer ${await issuer.tokenFor(reader)}` }
    const page = `${url}/feed?limit=20`
    const deadline = Date.now() + 30_000
    for (;;) {
      const p = (await (await fetch(page, { headers })).json()) as { items?: unknown[] }
      if (p.items?.length === 20) break
      if (Date.now() > deadline) throw new Error('the seeded posts never reached the home feed')
      await Bun.sleep(50)
    }
    const service = await measure(page, feed.pid, headers)
    if (traces) return { service, bare: service, pid: feed.pid }
    // The same page from a bare Bun.serve running the feed's reader: the framework-free floor.
    const barePort = await freePort()
    const bare = await spawnServing(
      [process.execPath, join(import.meta.dir, 'fixtures/bare-feed-reader.ts')],
      {
        env: {
          PORT: String(barePort),
          REDIS_URL: redis!.url,
          FEED_KEY_PREFIX: prefix,
          READER_ID: reader,
        },
        probe: `http://127.0.0.1:${barePort}/`,
      },
    )
    try {
      const served = await (await fetch(page, { headers })).text()
      const bareServed = await (await fetch(`http://127.0.0.1:${barePort}/`)).text()
      if (served !== bareServed) throw new Error('the bare reader answered another page')
      return {
        service,
        bare: await measure(`http://127.0.0.1:${barePort}/`, bare.pid),
        pid: feed.pid,
      }
    } finally {
      bare.kill('SIGTERM')
      await bare.exited
    }
  } finally {
    feed.kill('SIGTERM')
    await feed.exited
  }
}

try {
  const helloPort = await freePort()
  const hello = await spawnServing(
    [process.execPath, join(import.meta.dir, 'fixtures/elysia-hello.ts')],
    { env: { PORT: String(helloPort) }, probe: `http://127.0.0.1:${helloPort}/` },
  )
  let reference: Awaited<ReturnType<typeof measure>>
  try {
    reference = await measure(`http://127.0.0.1:${helloPort}/`, hello.pid)
  } finally {
    hello.kill('SIGTERM')
    await hello.exited
  }
  const row = (label: string, m: typeof reference, redisUsed = true) => [
    label,
    fmt(m.w.perSecond),
    `${fmt(m.w.ms.p50)} / ${fmt(m.w.ms.p99)} ms`,
    `${fmt(m.w.perSecond / reference.w.perSecond)}x`,
    `${fmt(m.cpuUs)} µs`,
    redisUsed ? `${fmt(m.redisUs)} µs` : '-',
    String(m.w.errors),
  ]
  const rows = [row('Elysia hello (reference)', reference, false)]
  const profiles: string[] = []
  const results: Record<string, unknown> = { hello: reference }
  for (const merged of [false, true]) {
    const { service, bare, pid } = await readPages(merged)
    results[merged ? 'merged' : 'plain'] = { service, bare }
    if (args.profile)
      profiles.push(
        `${merged ? 'merged' : 'plain'} home page, feed service, share of self samples (whole run):\n${topFunctions(args.profile, pid)}`,
      )
    const page = merged ? 'home page merging a high-follower author' : 'plain home page'
    rows.push(row(`${page}: feed service`, service))
    rows.push(row(`${page}: bare Bun.serve + the feed's reader`, bare))
  }
  // The cost of tracing: the plain page again, every request a sampled trace exported as OTLP.
  const receiver = startOtlpReceiver()
  try {
    for (const sample of [0.1, 1]) {
      const { service } = await readPages(false, receiver.url, sample)
      results[`plainTracing${sample}`] = service
      rows.push(
        row(
          `plain home page: feed service, tracing on (${sample * 100}% of pages sampled)`,
          service,
        ),
      )
    }
  } finally {
    await receiver.stop()
  }
  console.log(
    `\n## Feed reads, 20 items, Redis (wrk, 32 connections, ${seconds} s)\n\n${markdownTable(['page: server', 'pages/s', 'p50 / p99', 'ratio to hello', 'server CPU per page', 'Redis CPU per page', 'errors'], rows)}\n\nThe bare rows run the feed's own reader (store, body cache, JSON splicing) in a Bun.serve with no framework, auth, validation or logging: the ceiling of one Redis round trip per page on this machine.\n`,
  )
  if (args.profile)
    console.log(`${profiles.join('\n\n')}\n\nCPU profiles (markdown): ${args.profile}`)
  const out = join(root, 'bench', 'results', 'feed-reads.json')
  mkdirSync(dirname(out), { recursive: true })
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), quick: args.quick, seconds, ...results }, null, 2)}\n`,
  )
  console.log(`JSON: ${out}`)
} finally {
  redisInfo.close()
  jwks.stop(true)
  await redis.stop()
  await stack.stop()
}
