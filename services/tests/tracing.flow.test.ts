/**
 * One `POST /posts` through the gateway with a client `traceparent` is one trace
 * in the OTLP receiver: the gateway's server and client spans, the posts
 * service's server span, the outbox relay's Kafka publish, and the feed's
 * consume and read-model writes, all under the client's trace id, each span's
 * parent present (in parent order), across HTTP and Kafka.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { NO_REDIS_REASON, startTestRedis, type TestRedis } from '@civildiy/devstack'
import { type OtlpReceiver, type StoredSpan, startOtlpReceiver } from '@civildiy/harness'
import { gatewayOf, type RunningStack, startStack, until } from './stack-helpers.ts'

let running: RunningStack
let receiver: OtlpReceiver
let redis: TestRedis | null
let gateway: string
const services = ['auth', 'profile', 'posts', 'feed', 'search', 'notifications', 'gateway']

beforeAll(async () => {
  receiver = startOtlpReceiver()
  redis = await startTestRedis()
  if (!redis)
    console.warn(`SKIPPED Redis spans (in-process read model instead): ${NO_REDIS_REASON}`)
  running = await startStack(services, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_SAMPLER_ARG: '1',
    ...(redis ? { REDIS_URL: redis.url } : {}),
  })
  gateway = await gatewayOf(running)
}, 90_000)

afterAll(async () => {
  await running?.stop()
  await redis?.stop()
  await receiver?.stop()
})

test('a post is one trace from the client through the gateway, posts, Kafka and the feed', async () => {
  const json = { 'content-type': 'application/json' }
  const credentials = JSON.stringify({ email: 'trace@example.com', password: 'tracing password' })
  await fetch(`${gateway}/auth/register`, { method: 'POST', headers: json, body: credentials })
  const { accessToken } = (await (
    await fetch(`${gateway}/auth/login`, { method: 'POST', headers: json, body: credentials })
  ).json()) as { accessToken: string }
  const traceId = crypto.randomUUID().replaceAll('-', '')
  const clientSpan = crypto.randomUUID().replaceAll('-', '').slice(0, 16)
  const res = await fetch(`${gateway}/posts`, {
    method: 'POST',
    headers: {
      ...json,
      authorization: `Bearer ${accessToken}`,
      traceparent: `00-${traceId}-${clientSpan}-01`,
    },
    body: JSON.stringify({ body: 'traced' }),
  })
  expect(res.status).toBe(201)
  const has = (spans: StoredSpan[], service: string, name: RegExp) =>
    spans.some((s) => s.service === service && name.test(s.name))
  const spans = await until(
    async () => receiver.trace(traceId),
    (t) =>
      has(t, 'gateway', /^POST \/posts$/) &&
      has(t, 'posts', /^POST \/posts\/?$/) &&
      has(t, 'posts', /^publish civildiy\.posts$/) &&
      has(t, 'posts', /^mongodb insert$/) &&
      has(t, 'feed', /^process civildiy\.posts$/) &&
      has(t, 'feed', /^feed-store /),
    30_000,
    'the whole trace in the receiver',
  )
  // Parent order: the gateway's server span is the client's child; every other span's parent is in the trace.
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const root = spans.find((s) => s.service === 'gateway' && s.kind === 2)!
  expect(root.parentSpanId).toBe(clientSpan)
  for (const s of spans.filter((x) => x !== root)) expect(byId.has(s.parentSpanId ?? '')).toBe(true)
  const ancestry = (s: StoredSpan): string[] =>
    s.parentSpanId && byId.has(s.parentSpanId)
      ? [...ancestry(byId.get(s.parentSpanId)!), `${s.service}:${s.name}`]
      : [`${s.service}:${s.name}`]
  const consume = spans.find((s) => s.service === 'feed' && s.name === 'process civildiy.posts')!
  const chain = ancestry(consume)
  expect(chain[0]).toBe('gateway:POST /posts')
  expect(chain).toContain('posts:publish civildiy.posts')
  expect(chain.indexOf('posts:publish civildiy.posts')).toBeLessThan(chain.length - 1)
  // Registration is a PostgreSQL transaction span under auth's server span, in its own trace.
  const registrations = receiver
    .traces({ service: 'auth', limit: 200 })
    .filter((t) => t.root === 'gateway: POST /auth/register')
  expect(registrations.length).toBeGreaterThan(0)
  const registration = receiver.trace(registrations[0]!.traceId)
  expect(registration.some((s) => s.service === 'auth' && s.name === 'postgres transaction')).toBe(
    true,
  )
  // The post's insert is a MongoDB client span under the posts service's server span.
  const insert = spans.find((s) => s.service === 'posts' && s.name === 'mongodb insert')!
  expect(byId.get(insert.parentSpanId!)?.name).toMatch(/^POST \/posts/)
}, 60_000)
