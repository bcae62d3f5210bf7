/**
 * The login's own limits, through HTTP on PGlite: the per-account throttle and
 * the bounded argon2id queue that sheds load with 503 + Retry-After.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connectPostgres, type Database, migrate } from '@civildiy/kit'
import { createTestDatabase, silentLogger, type TestDatabase } from '@civildiy/kit/testing'
import { exportPKCS8, generateKeyPair } from 'jose'
import { createApp } from '../app.ts'
import { createMemoryThrottle } from '../login-throttle/memory-throttle.ts'
import { migrations } from '../migrations.ts'
import { signingKeyFromPem } from '../tokens/signing-key.ts'
import { createPasswordHasher } from './password-hasher.ts'

let tdb: TestDatabase
let db: Database
let now = 0
const settings = { issuer: 'i', audience: 'a', accessTtlSec: 900, refreshTtlSec: 3600 }

beforeAll(async () => {
  tdb = await createTestDatabase('pglite')
  db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
  await migrate(db.sql, 'auth', migrations)
})
afterAll(async () => {
  await db?.close()
  await tdb?.drop()
})

async function appWith(o: Partial<Parameters<typeof createApp>[0]>) {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const app = createApp({
    sql: db.sql,
    key: await signingKeyFromPem(await exportPKCS8(privateKey)),
    tokens: settings,
    logger: silentLogger('auth'),
    production: true,
    ...o,
  })
  return async (path: string, body: unknown, o: { method?: string; token?: string } = {}) => {
    const res = await app.handle(
      new Request(`http://localhost${path}`, {
        method: o.method ?? 'POST',
        headers: {
          'content-type': 'application/json',
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        body: JSON.stringify(body),
      }),
    )
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as { code?: string },
    }
  }
}

describe('per-account login throttle', () => {
  test('after 5 failures the account gets 429 with Retry-After, even with the right password; others are untouched; it ends with the window', async () => {
    const call = await appWith({
      throttle: createMemoryThrottle({ maxFailures: 5, windowMs: 15 * 60_000 }, () => now),
      hasher: createPasswordHasher({ memoryKiB: 1024, timeCost: 1 }),
    })
    const ada = { email: 'ada@example.com', password: 'correct horse battery' }
    const lin = { email: 'lin@example.com', password: 'another long password' }
    expect((await call('/auth/register', ada)).status).toBe(201)
    expect((await call('/auth/register', lin)).status).toBe(201)
    const guesses = []
    for (let i = 0; i < 5; i++)
      guesses.push((await call('/auth/login', { ...ada, password: `guess ${i} xxxx` })).status)
    expect(guesses).toEqual([401, 401, 401, 401, 401])
    const blocked = await call('/auth/login', { email: 'ADA@example.com', password: ada.password })
    expect(blocked.status).toBe(429)
    expect(blocked.body.code).toBe('too_many_failed_logins')
    expect(Number(blocked.headers.get('retry-after'))).toBe(900)
    expect((await call('/auth/login', lin)).status).toBe(200)
    now += 15 * 60_000
    expect((await call('/auth/login', ada)).status).toBe(200)
  })

  test('password guesses through an account deletion count against the same throttle as logins', async () => {
    const call = await appWith({
      throttle: createMemoryThrottle({ maxFailures: 5, windowMs: 15 * 60_000 }, () => now),
      hasher: createPasswordHasher({ memoryKiB: 1024, timeCost: 1 }),
    })
    const eve = { email: 'eve@example.com', password: 'eve password 1234' }
    expect((await call('/auth/register', eve)).status).toBe(201)
    const { accessToken } = (await call('/auth/login', eve)).body as { accessToken: string }
    const deleteWith = async (password: string) =>
      (await call('/auth/me', { password }, { method: 'DELETE', token: accessToken })).status
    const guesses = []
    for (let i = 0; i < 5; i++) guesses.push(await deleteWith(`guess ${i} xxxx`))
    expect(guesses).toEqual([401, 401, 401, 401, 401])
    // Throttled now, the right password included, and logins with it.
    expect(await deleteWith(eve.password)).toBe(429)
    expect((await call('/auth/login', eve)).status).toBe(429)
    now += 15 * 60_000
    expect(await deleteWith(eve.password)).toBe(202)
  })

  test('a success resets the count', async () => {
    const call = await appWith({
      throttle: createMemoryThrottle({ maxFailures: 2, windowMs: 60_000 }, () => now),
      hasher: createPasswordHasher({ memoryKiB: 1024, timeCost: 1 }),
    })
    const bo = { email: 'bo@example.com', password: 'bo has a long password' }
    await call('/auth/register', bo)
    await call('/auth/login', { ...bo, password: 'wrong password 1' })
    expect((await call('/auth/login', bo)).status).toBe(200)
    await call('/auth/login', { ...bo, password: 'wrong password 2' })
    expect((await call('/auth/login', bo)).status).toBe(200)
  })
})

describe('bounded password hashing', () => {
  test('a full queue sheds logins with 503 + Retry-After at once, while admitted logins complete', async () => {
    const hasher = createPasswordHasher({ concurrency: 1, queue: 1 })
    const call = await appWith({ hasher })
    const users = Array.from({ length: 8 }, (_, i) => ({
      email: `burst${i}@example.com`,
      password: `burst password ${i}`,
    }))
    for (const u of users) expect((await call('/auth/register', u)).status).toBe(201)
    const order: string[] = []
    const results = await Promise.all(
      users.map((u) =>
        call('/auth/login', u).then((r) => {
          order.push(r.status === 503 ? 'shed' : 'done')
          return r
        }),
      ),
    )
    const shed = results.filter((r) => r.status === 503)
    const done = results.filter((r) => r.status === 200)
    // One hashes, one waits, the rest are refused.
    expect(done.length).toBe(2)
    expect(shed.length).toBe(6)
    for (const r of shed) {
      expect(r.body.code).toBe('overloaded')
      expect(r.headers.get('retry-after')).toBe('1')
    }
    // Refused without waiting for a slot: every refusal came before the admitted logins finished.
    expect(order.slice(0, 6)).toEqual(Array(6).fill('shed'))
    expect(hasher.load()).toEqual({ running: 0, waiting: 0 })
    expect((await call('/auth/login', users[7]!)).status).toBe(200)
  })
})
