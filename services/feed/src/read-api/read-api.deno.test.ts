/**
 * The feed read API on Deno answers as the feed service on Bun: one read model in
 * a real Redis, built by the real projector, read by the feed service's app on Bun
 * (Bun's Redis client) and by `read-api/main.ts` under `deno run` (Upstash REST
 * bridge over the same Redis). Home pages (with a high-follower author merged at
 * read time, an edit, a like and a delete), the global feed, a user's feed and
 * their next pages come back byte for byte the same; so do the errors.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import {
  freePort,
  NO_REDIS_REASON,
  startTestRedis,
  startUpstashBridge,
  type TestRedis,
  type UpstashBridge,
} from '@civildiy/devstack'
import { denoExecutable, denoRunCommand } from '@civildiy/kit'
import { createTestIssuer, silentLogger, type TestIssuer } from '@civildiy/kit/testing'
import type { Subprocess } from 'bun'
import { createApp } from '../app.ts'
import { feedKeys, READ_MODEL_FORMAT } from '../feed/keys.ts'
import { createProjector, defaultFeedSettings } from '../feed/projector.ts'
import { created, deleted, follow, liked, updated } from '../feed/test-events.ts'
import { createRedisStore } from '../store/redis-store.ts'

const root = join(import.meta.dir, '..', '..', '..', '..')
const deno = denoExecutable(root)
const redis: TestRedis | null = await startTestRedis()
const skip = !existsSync(deno)
  ? 'no deno in node_modules/.bin (npm install brings it as a dev dependency)'
  : !redis
    ? NO_REDIS_REASON
    : null
if (skip) console.warn(`SKIPPED feed read API on Deno: ${skip}`)

const keys = feedKeys(`deno-${randomUUID().slice(0, 8)}:`)
const [reader, follower, celebrity, author, other] = Array.from(
  { length: 5 },
  () => randomUUID() as string,
) as [string, string, string, string, string]
let issuer: TestIssuer
let jwks: ReturnType<typeof Bun.serve>
let bridge: UpstashBridge
let denoApi: Subprocess
let denoUrl: string
let bunApp: ReturnType<typeof createApp>
const ids: string[] = []

beforeAll(async () => {
  if (skip) return
  const store = createRedisStore(redis!.url)
  // The celebrity's posts are merged at read time (more followers than the threshold).
  const projector = createProjector(store, keys, { ...defaultFeedSettings, fanOutThreshold: 2 })
  for (const e of [
    follow(reader, author),
    follow(reader, celebrity),
    follow(follower, celebrity),
    follow(other, celebrity),
  ])
    await projector.apply(e)
  for (let i = 0; i < 30; i++) {
    const id = randomUUID()
    ids.push(id)
    await projector.apply(created(id, i % 3 === 0 ? celebrity : author, `post ${i} “quoted” ü`))
  }
  await projector.apply(updated(ids[4]!, author, 2, 'edited'))
  await projector.apply(liked(ids[5]!, author, 2, 7))
  await projector.apply(deleted(ids[7]!, author, 2))
  await store.setMeta(keys.format, READ_MODEL_FORMAT)

  issuer = await createTestIssuer()
  jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })
  bunApp = createApp({
    logger: silentLogger(),
    production: false,
    store,
    keys,
    verify: issuer.verify,
  })
  bridge = await startUpstashBridge({ port: 0, redisUrl: redis!.url })
  const port = await freePort()
  denoUrl = `http://127.0.0.1:${port}`
  denoApi = Bun.spawn(
    denoRunCommand(root, join(root, 'services', 'feed', 'src', 'read-api', 'main.ts')),
    {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
        CONSUL_HTTP_ADDR: '',
        REDIS_URL: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        UPSTASH_REDIS_REST_URL: bridge.url,
        UPSTASH_REDIS_REST_TOKEN: bridge.token,
        FEED_KEY_PREFIX: keys.prefix,
        AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/`,
      },
      stdout: 'inherit',
      stderr: 'inherit',
    },
  )
  const deadline = Date.now() + 60_000
  while (
    !(await fetch(`${denoUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (denoApi.exitCode !== null) throw new Error(`deno exited with ${denoApi.exitCode}`)
    if (Date.now() > deadline) throw new Error('the Deno read API was not ready in 60 s')
    await Bun.sleep(100)
  }
}, 90_000)

afterAll(async () => {
  denoApi?.kill('SIGTERM')
  await denoApi?.exited
  await bridge?.stop()
  jwks?.stop(true)
  if (redis) await createRedisStore(redis.url).clear(keys.prefix)
  await redis?.stop()
})

/** The same request to both; their status and body text. */
async function both(path: string, userId?: string) {
  const headers: Record<string, string> = userId
    ? { authorization: `Bearer ${await issuer.tokenFor(userId)}` }
    : {}
  const onBun = await bunApp.handle(new Request(`http://localhost${path}`, { headers }))
  const onDeno = await fetch(`${denoUrl}${path}`, { headers })
  return {
    bun: {
      status: onBun.status,
      type: onBun.headers.get('content-type'),
      body: await onBun.text(),
    },
    deno: {
      status: onDeno.status,
      type: onDeno.headers.get('content-type'),
      body: await onDeno.text(),
    },
  }
}

/** Every page of `path` through its cursors, on both; the page bodies. */
async function allPages(path: string, userId?: string) {
  const pages: { bun: string; deno: string }[] = []
  let cursor: string | null = null
  do {
    const sep = path.includes('?') ? '&' : '?'
    const r = await both(
      cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
      userId,
    )
    expect(r.deno.status).toBe(200)
    expect(r.bun.status).toBe(200)
    pages.push({ bun: r.bun.body, deno: r.deno.body })
    cursor = (JSON.parse(r.bun.body) as { nextCursor: string | null }).nextCursor
  } while (cursor && pages.length < 20)
  return pages
}

test.skipIf(Boolean(skip))('home pages, merged authors included, are identical', async () => {
  const pages = await allPages('/feed?limit=7', reader)
  expect(pages.length).toBeGreaterThan(3)
  for (const p of pages) expect(p.deno).toBe(p.bun)
  const items = pages.flatMap((p) => (JSON.parse(p.bun) as { items: { id: string }[] }).items)
  // Every post but the deleted one, the celebrity's merged in at read time.
  expect(items.length).toBe(29)
  expect(items.some((i) => i.id === ids[7])).toBe(false)
  const edited = items.find((i) => i.id === ids[4]) as unknown as { body: string }
  expect(edited.body).toBe('edited')
})

test.skipIf(Boolean(skip))('global and user pages are identical', async () => {
  for (const path of ['/feed/global?limit=9', `/feed/users/${author}?limit=5`]) {
    const pages = await allPages(path)
    expect(pages.length).toBeGreaterThan(1)
    for (const p of pages) expect(p.deno).toBe(p.bun)
  }
})

test.skipIf(Boolean(skip))('errors are the same problem documents', async () => {
  for (const [path, user] of [
    ['/feed', undefined],
    ['/feed?limit=0', reader],
    ['/feed/global?cursor=not-a-cursor', undefined],
    ['/feed/users/not-a-uuid', undefined],
  ] as const) {
    const r = await both(path, user)
    expect(r.deno.status).toBe(r.bun.status)
    expect(r.deno.status).toBeGreaterThanOrEqual(400)
    expect(r.deno.status).toBeLessThan(500)
    expect(r.deno.type).toBe(r.bun.type)
    const strip = (body: string) => {
      const { requestId: _, instance: __, ...rest } = JSON.parse(body) as Record<string, unknown>
      return rest
    }
    expect(strip(r.deno.body)).toEqual(strip(r.bun.body))
  }
})
