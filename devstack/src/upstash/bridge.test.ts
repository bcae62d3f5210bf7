/**
 * The Upstash REST bridge, driven by `@upstash/redis` and `@upstash/ratelimit`
 * against a real redis-server (started here, or REDIS_URL).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { Ratelimit } from '@upstash/ratelimit'
import { Redis } from '@upstash/redis'
import { NO_REDIS_REASON, startTestRedis, type TestRedis } from '../testing/redis-server.ts'
import { startUpstashBridge, type UpstashBridge } from './bridge.ts'

const redisServer: TestRedis | null = await startTestRedis()
if (!redisServer) console.warn(`SKIPPED Upstash bridge tests: ${NO_REDIS_REASON}`)

describe.skipIf(!redisServer)('Upstash REST bridge', () => {
  let bridge: UpstashBridge
  let redis: Redis
  // One prefix per run, so a real Redis (REDIS_URL) is left as it was found.
  const run = `bridge-test:${randomUUID().slice(0, 8)}`
  const k = (name: string) => `${run}:${randomUUID().slice(0, 8)}:${name}`

  beforeAll(async () => {
    bridge = await startUpstashBridge({ redisUrl: redisServer!.url, port: 0 })
    redis = new Redis({ url: bridge.url, token: bridge.token })
  })

  afterAll(async () => {
    const keys = (await redis?.keys(`${run}:*`).catch(() => [])) ?? []
    if (keys.length) await redis.del(...keys).catch(() => {})
    await bridge?.stop()
    await redisServer?.stop()
  })

  test('single commands round-trip through @upstash/redis, base64 encoding included', async () => {
    const key = k('str')
    expect(await redis.set(key, 'héllo wörld')).toBe('OK')
    expect(await redis.get<string>(key)).toBe('héllo wörld')
    expect(await redis.incr(k('n'))).toBe(1)
    const hash = k('hash')
    await redis.hset(hash, { a: 1, b: 'two' })
    expect(await redis.hgetall(hash)).toEqual({ a: 1, b: 'two' })
    const z = k('z')
    await redis.zadd(z, { score: 1.5, member: 'm1' }, { score: 2, member: 'm2' })
    expect(await redis.zscore(z, 'm1')).toBe(1.5)
    expect(await redis.zrange(z, 0, -1, { withScores: true })).toEqual(['m1', 1.5, 'm2', 2])
    expect(await redis.get(k('missing'))).toBeNull()
  })

  test('pipelines return one result per command, errors included', async () => {
    const key = k('pipe')
    const p = redis.pipeline()
    p.set(key, 'v')
    p.get(key)
    p.del(key)
    expect(await p.exec()).toEqual(['OK', 'v', 1])
    const res = await fetch(`${bridge.url}/pipeline`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bridge.token}` },
      body: JSON.stringify([
        ['SET', key, 'x'],
        ['INCR', key],
      ]),
    })
    expect(await res.json()).toEqual([
      { result: 'OK' },
      { error: 'ERR value is not an integer or out of range' },
    ])
  })

  test('multi-exec runs atomically', async () => {
    const key = k('tx')
    const tx = redis.multi()
    tx.incr(key)
    tx.incr(key)
    tx.get(key)
    expect(await tx.exec()).toEqual([1, 2, 2])
  })

  test('a ratelimit allows up to the limit, then refuses', async () => {
    const limiter = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(3, '10 s'),
      prefix: k('rl'),
    })
    const results = []
    for (let i = 0; i < 5; i++) results.push((await limiter.limit('client-1')).success)
    expect(results).toEqual([true, true, true, false, false])
  })

  test('bad tokens get 401, bad bodies and Redis errors 400 with the message', async () => {
    expect((await fetch(`${bridge.url}/`, { method: 'POST', body: '["PING"]' })).status).toBe(401)
    expect(
      (
        await fetch(`${bridge.url}/`, {
          method: 'POST',
          headers: { authorization: 'Bearer wrong' },
          body: '["PING"]',
        })
      ).status,
    ).toBe(401)
    const auth = { authorization: `Bearer ${bridge.token}` }
    const notJson = await fetch(`${bridge.url}/`, { method: 'POST', headers: auth, body: 'PING' })
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: string }).error).toContain('failed to parse command')
    const unknown = await fetch(`${bridge.url}/`, {
      method: 'POST',
      headers: auth,
      body: '["NOSUCHCOMMAND"]',
    })
    expect(unknown.status).toBe(400)
    expect(((await unknown.json()) as { error: string }).error).toContain('unknown command')
    const path = await fetch(`${bridge.url}/echo/hi%20there`, { headers: auth })
    expect(await path.json()).toEqual({ result: 'hi there' })
  })
})
