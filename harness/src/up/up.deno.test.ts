/**
 * `harness up --runtime deno` with the read model in a real Redis: the gateway
 * runs under `deno run`, and so does a feed read API reading the model through
 * the Upstash REST bridge. Consul shows both with the `deno` tag (the read API as
 * a second, read-only `feed`), the read API answers the same pages as the Bun feed
 * service, and `harness check` passes through the gateway on Deno: discovery,
 * auth, propagation and feed reads.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NO_REDIS_REASON, startTestRedis, type TestRedis } from '@civildiy/devstack'
import { denoExecutable } from '@civildiy/kit'
import { runCheck } from '../check/check.ts'
import { type RunningHarness, startHarnessUp } from '../testing/harness-up.ts'

const root = join(import.meta.dir, '..', '..', '..')
const redis: TestRedis | null = existsSync(denoExecutable(root)) ? await startTestRedis() : null
const skip = !existsSync(denoExecutable(root))
  ? 'no deno in node_modules/.bin (npm install brings it as a dev dependency)'
  : !redis
    ? NO_REDIS_REASON
    : null
if (skip) console.warn(`SKIPPED harness up --runtime deno: ${skip}`)

let harness: RunningHarness

beforeAll(async () => {
  if (skip) return
  harness = await startHarnessUp({ RUNTIME: 'deno', REDIS_URL: redis!.url }, 120_000)
}, 150_000)

afterAll(async () => {
  await harness?.stop()
  await redis?.stop()
})

interface CatalogEntry {
  Service: { Port: number; Tags: string[] }
}

test.skipIf(Boolean(skip))(
  'the gateway and a feed read API run on Deno and the stack passes harness check through them',
  async () => {
    const { stack } = harness
    const passing = async (name: string) =>
      (await (
        await fetch(`${stack.consul}/v1/health/service/${name}?passing`)
      ).json()) as CatalogEntry[]
    const gateway = await passing('gateway')
    expect(gateway.map((e) => e.Service.Tags)).toEqual([['deno']])
    const feeds = await passing('feed')
    expect(feeds.map((e) => e.Service.Tags.toSorted()).toSorted()).toEqual([
      ['bun'],
      ['deno', 'read-only'],
    ])

    const report = await runCheck({
      gateway: stack.gateway,
      consul: stack.consul,
      posts: 5,
      ratePerSec: 10,
      feedReads: 40,
      timeoutMs: 15_000,
      propagationP99Ms: 15_000,
      feedP99Ms: 5_000,
    })
    expect(
      report.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.failures.join('; ')}`),
    ).toEqual([])

    // Bodies over the route's limit (1 MiB) are 413 problems on Deno too, declared or streamed.
    // JSON, so auth reads the whole body before it answers: without a content type it
    // may answer 422 at once, before the gateway has seen 1 MiB go by.
    const big = new Uint8Array(2 * 1024 * 1024).fill(97)
    const json = { 'content-type': 'application/json' }
    const declared = await fetch(`${stack.gateway}/auth/login`, {
      method: 'POST',
      headers: json,
      body: big,
    })
    const streamed = await fetch(`${stack.gateway}/auth/login`, {
      method: 'POST',
      headers: json,
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 32; i++) c.enqueue(big.subarray(i * 65536, (i + 1) * 65536))
          c.close()
        },
      }),
    })
    for (const r of [declared, streamed]) {
      expect(r.status).toBe(413)
      expect(r.headers.get('content-type')).toContain('application/problem+json')
      expect(((await r.json()) as { code: string }).code).toBe('body_too_large')
    }

    // The posts the check wrote, read from each feed instance directly.
    const page = async (base: string) => (await fetch(`${base}/feed/global?limit=50`)).text()
    const onBun = await page(stack.services.feed!)
    expect(JSON.parse(onBun).items.length).toBeGreaterThan(0)
    expect(await page(stack.services['feed-read']!)).toBe(onBun)
  },
  120_000,
)
