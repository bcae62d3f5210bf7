/**
 * The fault drills: each applies a steady load through the gateway, injects one
 * fault through the harness's control socket, repairs it (or lets the supervisor
 * do so), then measures what it cost against stated thresholds: requests failed
 * by method, posts accepted and lost, duplicates in the read model, and the ms
 * from the repair until every accepted post is visible again.
 */
import { RedisClient } from 'bun'
import type { Session, StackClient } from '../client/stack-client.ts'
import type { StackInfo } from '../stack-file.ts'
import type { ControlClient } from '../up/control.ts'
import { deletionWithParticipantDown } from './deletion-drill.ts'
import { checkIntegrity } from './integrity.ts'
import { type LoadSample, type MethodCounts, type RunningLoad, startLoad } from './load.ts'

export interface DrillContext {
  api: StackClient
  control: ControlClient
  stack: StackInfo
  /** Authors of the load, and the follower watching each one's posts (by author id). */
  authors: Session[]
  watchers: Map<string, Session>
  /** Shorter load and outages (CI). */
  short: boolean
  log: (line: string) => void
}

export interface DrillResult {
  name: string
  /** What was applied, e.g. `10 posts/s + 20 GET/s for 8 s`. */
  load: string
  fault: string
  requests: { GET: MethodCounts; POST: MethodCounts }
  accepted: number
  lost: number
  duplicates: number
  /** Ms from the repair until every accepted post was visible (or the drill's own measure). */
  recoveryMs: number | null
  thresholds: string[]
  failures: string[]
  pass: boolean
  /** What else was measured, in words. */
  notes: string[]
  skipped?: string
  /** Answers per second while the drill ran, and when the fault was on (s from the start). */
  throughput?: DrillThroughput
}

/** Rows of `[s, GET ok, GET failed, POST ok, POST failed]` per second, and the fault window. */
export interface DrillThroughput {
  perSecond: [number, number, number, number, number][]
  faultFromS: number
  faultToS: number
}

/** Buckets load samples per second from `startedAtMs`. */
export function throughputOf(
  samples: readonly LoadSample[],
  startedAtMs: number,
  fault: { fromMs: number; toMs: number },
): DrillThroughput {
  const rows: [number, number, number, number, number][] = []
  for (const s of samples) {
    const second = Math.max(0, Math.floor((s.atMs - startedAtMs) / 1000))
    while (rows.length <= second) rows.push([rows.length, 0, 0, 0, 0])
    const row = rows[second]!
    row[(s.method === 'GET' ? 1 : 3) + (s.ok ? 0 : 1)]! += 1
  }
  return {
    perSecond: rows,
    faultFromS: (fault.fromMs - startedAtMs) / 1000,
    faultToS: (fault.toMs - startedAtMs) / 1000,
  }
}

export interface Drill {
  name: string
  description: string
  run(ctx: DrillContext): Promise<DrillResult>
}

const RECOVERY_LIMIT_MS = 30_000

interface LoadedDrill {
  name: string
  fault: string
  /** Injects the fault while the load runs; resolves at the moment it is repaired. */
  inject: (ctx: DrillContext, outageMs: number) => Promise<void>
  getPaths?: (ctx: DrillContext) => (i: number) => { path: string; token?: string }
  zeroFailed?: ('GET' | 'POST')[]
}

/** Load, fault, load, then integrity: the shape of every drill but auth-overload. */
async function loadedDrill(ctx: DrillContext, d: LoadedDrill): Promise<DrillResult> {
  const seconds = ctx.short ? 8 : 20
  const outageMs = ctx.short ? 3_000 : 6_000
  const rates = { postsPerSec: 10, getsPerSec: 20 }
  const load: RunningLoad = startLoad(ctx.api, {
    authors: ctx.authors,
    ...rates,
    tag: `${d.name}-${Date.now()}`,
    getPaths: d.getPaths?.(ctx),
  })
  const started = Date.now()
  await Bun.sleep((seconds * 1000) / 4)
  ctx.log(`${d.name}: ${d.fault}`)
  const faultFromMs = Date.now()
  await d.inject(ctx, outageMs)
  const faultToMs = Date.now()
  // Recovery: from the repair until every post accepted so far is visible, measured
  // while the load goes on.
  const recovery = checkIntegrity(ctx.api, [...load.accepted], ctx.watchers, RECOVERY_LIMIT_MS)
  await Bun.sleep(Math.max(0, started + seconds * 1000 - Date.now()))
  await load.stop()
  const integrity = await checkIntegrity(ctx.api, load.accepted, ctx.watchers, RECOVERY_LIMIT_MS)
  const recoveryMs = (await recovery).completeAfterMs
  const thresholds = [
    '0 accepted posts lost',
    '0 duplicates',
    `recovery <= ${RECOVERY_LIMIT_MS / 1000} s`,
    ...(d.zeroFailed ?? []).map((m) => `0 failed ${m}s`),
  ]
  const failures: string[] = []
  if (integrity.lost.length) failures.push(`${integrity.lost.length} accepted posts lost`)
  if (integrity.duplicates) failures.push(`${integrity.duplicates} duplicates`)
  if (recoveryMs === null) failures.push('not recovered in time')
  for (const m of d.zeroFailed ?? [])
    if (load.counts[m].failed) failures.push(`${load.counts[m].failed} ${m}s failed`)
  return {
    name: d.name,
    load: `${rates.postsPerSec} posts/s + ${rates.getsPerSec} GET/s for ${seconds} s`,
    fault: d.fault,
    requests: load.counts,
    accepted: load.accepted.length,
    lost: integrity.lost.length,
    duplicates: integrity.duplicates,
    recoveryMs,
    thresholds,
    failures,
    pass: failures.length === 0,
    notes: [],
    throughput: throughputOf(load.samples, started, { fromMs: faultFromMs, toMs: faultToMs }),
  }
}

/** Waits until the supervisor reports `name` running again after a restart. */
async function backUp(ctx: DrillContext, name: string, restartsBefore: number) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const s = (await ctx.control.status()).find((p) => p.name === name)
    if (s && s.state === 'running' && s.restarts > restartsBefore) return
    if (Date.now() > deadline) throw new Error(`${name} did not come back within 60 s`)
    await Bun.sleep(50)
  }
}

const restartsOf = async (ctx: DrillContext, name: string) =>
  (await ctx.control.status()).find((p) => p.name === name)?.restarts ?? 0

/** Stops a process for `ms`, then starts it again. */
const outage = (name: string) => async (ctx: DrillContext, ms: number) => {
  await ctx.control.act(name, 'stop')
  await Bun.sleep(ms)
  await ctx.control.act(name, 'start')
}

export const drills: Drill[] = [
  {
    name: 'feed-crash',
    description: 'kill -9 the feed service mid-stream; the supervisor restarts it',
    run: (ctx) =>
      loadedDrill(ctx, {
        name: 'feed-crash',
        fault: 'SIGKILL to the feed service',
        inject: async (c) => {
          const before = await restartsOf(c, 'feed')
          await c.control.kill('feed', 'SIGKILL')
          await backUp(c, 'feed', before)
        },
      }),
  },
  {
    name: 'broker-outage',
    description: 'stop Kafka during writes, then start it again',
    run: (ctx) =>
      loadedDrill(ctx, {
        name: 'broker-outage',
        fault: 'Kafka stopped',
        inject: outage('kafka'),
        zeroFailed: ['GET', 'POST'],
      }),
  },
  {
    name: 'registry-outage',
    description: 'stop Consul during the load, then start it again',
    run: (ctx) =>
      loadedDrill(ctx, {
        name: 'registry-outage',
        fault: 'Consul stopped',
        inject: outage('consul'),
        zeroFailed: ['GET', 'POST'],
      }),
  },
  {
    name: 'instance-loss',
    description: 'one of two posts instances killed under GET+POST load',
    run: instanceLoss,
  },
  { name: 'read-model-loss', description: 'the Redis read model flushed', run: readModelLoss },
  { name: 'auth-overload', description: 'a login flood beside a steady client', run: authOverload },
  {
    name: 'deletion-participant-down',
    description: 'an account deletion while the posts service is stopped',
    run: deletionWithParticipantDown,
  },
]

async function instanceLoss(ctx: DrillContext): Promise<DrillResult> {
  const clone = await ctx.control.clone('posts')
  try {
    await routedInstances(ctx, 'posts', 2)
    return await loadedDrill(ctx, {
      name: 'instance-loss',
      fault: `SIGKILL to ${clone}, one of two posts instances`,
      inject: async (c) => {
        const before = await restartsOf(c, clone)
        await c.control.kill(clone, 'SIGKILL')
        await backUp(c, clone, before)
      },
      // Reads that reach posts itself, so half of them go to the instance that dies.
      getPaths: () => (i) => (i % 2 ? { path: '/posts?limit=5' } : { path: '/feed/global' }),
      zeroFailed: ['GET'],
    })
  } finally {
    await ctx.control.remove(clone).catch(() => {})
  }
}

/** Waits until the gateway routes `service` to `n` instances. */
async function routedInstances(ctx: DrillContext, service: string, n: number) {
  const deadline = Date.now() + 30_000
  for (;;) {
    const routes = (await (await ctx.api.raw('/gateway/routes')).json()) as {
      service: string
      instances: unknown[]
    }[]
    if ((routes.find((r) => r.service === service)?.instances.length ?? 0) >= n) return
    if (Date.now() > deadline) throw new Error(`the gateway did not see ${n} ${service} instances`)
    await Bun.sleep(100)
  }
}

async function readModelLoss(ctx: DrillContext): Promise<DrillResult> {
  const url = ctx.stack.servers.redis ?? ''
  if (!/^rediss?:\/\//.test(url)) {
    return {
      ...emptyResult('read-model-loss', 'Redis flushed'),
      skipped: 'the read model is in the feed process (start the stack with REDIS_URL)',
      pass: true,
    }
  }
  return loadedDrill(ctx, {
    name: 'read-model-loss',
    fault: 'FLUSHALL on the read model’s Redis',
    inject: async () => {
      const redis = new RedisClient(url)
      await redis.send('FLUSHALL', [])
      redis.close()
    },
  })
}

/** A result with nothing measured yet (a skipped drill, or one that could not run). */
export function emptyResult(name: string, fault: string): DrillResult {
  const none = () => ({ sent: 0, failed: 0, byStatus: {} })
  return {
    name,
    load: '-',
    fault,
    requests: { GET: none(), POST: none() },
    accepted: 0,
    lost: 0,
    duplicates: 0,
    recoveryMs: null,
    thresholds: [],
    failures: [],
    pass: true,
    notes: [],
  }
}

/**
 * A flood of logins with wrong passwords for random accounts, while one steady
 * client logs in with the right password (waiting out 503 + Retry-After, as the
 * stack tells it to). Pass: every steady login completes, the flood gets no 5xx
 * but shed 503s, and the gateway never ejects auth.
 */
async function authOverload(ctx: DrillContext): Promise<DrillResult> {
  const seconds = ctx.short ? 5 : 15
  const concurrency = 32
  const result = emptyResult('auth-overload', `${concurrency} concurrent failing logins`)
  const flood = result.requests.POST
  const until = Date.now() + seconds * 1000
  const attempt = async (email: string, password: string) =>
    ctx.api.raw('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    })
  const flooders = Array.from({ length: concurrency }, async (_, w) => {
    for (let i = 0; Date.now() < until; i++) {
      const res = await attempt(`flood-${w}-${i}@drill.example`, 'wrong password here').catch(
        () => null,
      )
      await res?.arrayBuffer()
      flood.sent++
      const wasShed = res?.status === 503 && res.headers.has('retry-after')
      if (wasShed) shed++
      if (!res || (res.status >= 500 && !wasShed)) {
        flood.failed++
        flood.byStatus[res?.status ?? 0] = (flood.byStatus[res?.status ?? 0] ?? 0) + 1
      }
    }
  })
  const steady = { sent: 0, failed: 0 }
  let shed = 0
  const author = ctx.authors[0]!
  const waits: number[] = []
  const steadyClient = (async () => {
    while (Date.now() < until) {
      const t0 = performance.now()
      steady.sent++
      // The API client waits out 503 + Retry-After; anything else is a failure.
      await ctx.api.login(author.email, DRILL_PASSWORD).then(
        () => waits.push(performance.now() - t0),
        () => {
          steady.failed++
        },
      )
    }
  })()
  await Promise.all([...flooders, steadyClient])
  const routes = (await (await ctx.api.raw('/gateway/routes')).json()) as {
    service: string
    instances: { ejected: boolean }[]
  }[]
  const ejected = routes
    .filter((r) => r.service === 'auth')
    .some((r) => r.instances.some((i) => i.ejected))
  result.load = `${concurrency} flooding clients + 1 steady client for ${seconds} s`
  result.recoveryMs = null
  result.notes = [
    `steady client: ${steady.sent} logins, ${steady.sent - steady.failed} completed, the slowest after ${Math.round(Math.max(0, ...waits))} ms`,
    `flood: ${flood.sent} logins, ${shed} shed with 503 + Retry-After`,
  ]
  result.thresholds = [
    'every steady login completes',
    '0 flood 5xx except shed 503s',
    'auth never ejected',
  ]
  if (steady.failed) result.failures.push(`${steady.failed} steady logins failed`)
  if (flood.failed) result.failures.push(`${flood.failed} flood requests got a 5xx`)
  if (ejected) result.failures.push('auth was ejected')
  result.pass = result.failures.length === 0
  return result
}

/** The password of the drill's own users. */
export const DRILL_PASSWORD = 'drill password 1'
