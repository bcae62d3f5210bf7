/**
 * Kafka stopped during writes: posts and feed run as real processes against the
 * devstack broker; the broker is stopped, posts keep being accepted (their events
 * wait in the posts outbox), the broker comes back on the same port and data, and
 * every post reaches the feed exactly once.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  freePort,
  type KafkaBroker,
  type MongoServer,
  startKafkaBroker,
  startMongo,
} from '@civildiy/devstack'
import { createTestIssuer, type TestIssuer } from '@civildiy/kit/testing'
import type { Subprocess } from 'bun'
import { spawnService, until } from './stack-helpers.ts'

let broker: KafkaBroker
let mongo: MongoServer
let kafkaPort: number
let kafkaDir: string
let issuer: TestIssuer
let jwks: ReturnType<typeof Bun.serve>
const procs: Subprocess[] = []
const url: Record<'posts' | 'feed', string> = { posts: '', feed: '' }
/** Both services' log lines. */
const logs: string[] = []

const startBroker = () =>
  startKafkaBroker({ port: kafkaPort, host: '127.0.0.1', dataDir: kafkaDir, log: () => {} })

beforeAll(async () => {
  kafkaPort = await freePort()
  kafkaDir = mkdtempSync(join(tmpdir(), 'kafka-outage-'))
  broker = await startBroker()
  mongo = await startMongo({ port: 0, log: () => {} })
  issuer = await createTestIssuer()
  jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })
  for (const name of ['posts', 'feed'] as const) {
    const port = await freePort()
    procs.push(
      spawnService(
        name,
        {
          PORT: String(port),
          CONSUL_HTTP_ADDR: '',
          KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
          AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/jwks`,
          MONGO_URL: mongo.url,
        },
        logs,
      ),
    )
    url[name] = `http://127.0.0.1:${port}`
    await until(
      () => fetch(`${url[name]}/health/live`),
      (r) => r.ok,
      30_000,
      `${name} up`,
    )
  }
}, 60_000)

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => p.exited))
  await broker?.stop()
  await mongo?.stop()
  jwks?.stop(true)
  rmSync(kafkaDir, { recursive: true, force: true })
})

test('posts written while Kafka is down are accepted and all reach the feed, once each, when it returns', async () => {
  const token = await issuer.tokenFor(crypto.randomUUID())
  const post = async (body: string) => {
    const res = await fetch(`${url.posts}/posts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ body }),
    })
    expect(res.status).toBe(201)
    return ((await res.json()) as { id: string }).id
  }
  const global = async () =>
    (
      (await (await fetch(`${url.feed}/feed/global?limit=100`)).json()) as {
        items: { id: string }[]
      }
    ).items
  const before = [await post('before the outage 1'), await post('before the outage 2')]
  await until(
    global,
    (items) => before.every((id) => items.some((i) => i.id === id)),
    30_000,
    'posts before the outage',
  )

  await broker.stop()
  const logsBefore = logs.length
  const during: string[] = []
  const ready: { status: number; body: { status: string } }[] = []
  const reads: number[] = []
  // Six seconds without a broker: writes accepted, reads and readiness unaffected.
  for (let i = 0; i < 30; i++) {
    if (i % 3 === 0) during.push(await post(`during the outage ${i}`))
    const r = await fetch(`${url.feed}/health/ready`)
    ready.push({ status: r.status, body: (await r.json()) as { status: string } })
    reads.push((await fetch(`${url.feed}/feed/global`)).status)
    await Bun.sleep(200)
  }
  expect(ready.filter((r) => r.status !== 200)).toEqual([])
  expect(reads.filter((s) => s !== 200)).toEqual([])
  expect(ready.some((r) => r.body.status === 'degraded')).toBe(true)
  // Once per change of state, not once per retry: a handful of lines, not hundreds.
  const outageLines = logs.slice(logsBefore).filter((l) => /kafka|broker|connect/i.test(l))
  expect(outageLines.length).toBeLessThanOrEqual(8)
  // With no broker nothing can reach the feed: the events wait in the outbox.
  const meanwhile = await global()
  expect(during.filter((id) => meanwhile.some((i) => i.id === id))).toEqual([])
  broker = await startBroker()

  const all = [...before, ...during]
  const items = await until(
    global,
    (list) => all.every((id) => list.some((i) => i.id === id)),
    60_000,
    'every post in the feed after Kafka returned',
  )
  const ids = items.map((i) => i.id)
  expect(ids.filter((id) => all.includes(id)).length).toBe(all.length)
  expect(new Set(ids).size).toBe(ids.length)
}, 120_000)
