/**
 * The auth service through HTTP (`app.handle`), on PGlite and, when DATABASE_URL
 * is set, on a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { connectPostgres, type Database, migrate } from '@civildiy/kit'
import {
  createTestDatabase,
  databaseKinds,
  NO_POSTGRES_REASON,
  silentLogger,
  type TestDatabase,
} from '@civildiy/kit/testing'
import { exportPKCS8, generateKeyPair, SignJWT } from 'jose'
import { createApp } from './app.ts'
import { migrations } from './migrations.ts'
import { type SigningKey, signingKeyFromPem } from './tokens/signing-key.ts'

if (!process.env.DATABASE_URL)
  console.warn(`SKIPPED auth tests on real PostgreSQL: ${NO_POSTGRES_REASON}`)

const settings = {
  issuer: 'civildiy-auth',
  audience: 'civildiy',
  accessTtlSec: 900,
  refreshTtlSec: 3600,
}

async function newKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  return signingKeyFromPem(await exportPKCS8(privateKey))
}

for (const kind of databaseKinds()) {
  describe(`auth on ${kind}`, () => {
    let tdb: TestDatabase
    let db: Database
    let key: SigningKey
    let now = new Date('2026-01-01T00:00:00Z')
    let app: ReturnType<typeof createApp>
    let committed = 0

    beforeAll(async () => {
      tdb = await createTestDatabase(kind)
      db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
      await migrate(db.sql, 'auth', migrations)
      key = await newKey()
      app = createApp({
        sql: db.sql,
        key,
        tokens: settings,
        logger: silentLogger('auth'),
        production: true,
        clock: () => now,
        committed: () => committed++,
      })
    })

    afterAll(async () => {
      await db?.close()
      await tdb?.drop()
    })

    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (token) headers.authorization = `Bearer ${token}`
      const res = await app.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      )
      const text = await res.text()
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
    }

    test('register creates a user, writes user.registered to the outbox, and a second registration of the email is 409', async () => {
      const res = await call('POST', '/auth/register', {
        email: 'Ada@Example.com',
        password: 'correct horse battery',
      })
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject({ email: 'Ada@Example.com' })
      expect(committed).toBeGreaterThan(0)
      const [row] = await db.sql<
        { envelope: { type: string; data: { userId: string } } }[]
      >`select envelope from outbox_events where key = ${res.body.id}`
      expect(row!.envelope.type).toBe('user.registered')
      expect(row!.envelope.data.userId).toBe(res.body.id)
      const dup = await call('POST', '/auth/register', {
        email: 'ada@example.COM',
        password: 'another long password',
      })
      expect(dup.status).toBe(409)
      expect(dup.headers.get('content-type')).toBe('application/problem+json')
      expect(dup.body).toMatchObject({ status: 409, code: 'email_taken' })
    })

    test('a bad email or a short password is 422 with field errors', async () => {
      const res = await call('POST', '/auth/register', { email: 'not-an-email', password: 'short' })
      expect(res.status).toBe(422)
      expect(res.body.code).toBe('validation_failed')
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        '/email',
        '/password',
      ])
      const missing = await call('POST', '/auth/register', {})
      expect(missing.status).toBe(422)
    })

    test('login issues tokens; unknown email and wrong password get the same 401', async () => {
      await call('POST', '/auth/register', {
        email: 'bob@example.com',
        password: 'bob password 123',
      })
      const ok = await call('POST', '/auth/login', {
        email: 'BOB@example.com',
        password: 'bob password 123',
      })
      expect(ok.status).toBe(200)
      expect(ok.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 })
      const wrong = await call('POST', '/auth/login', {
        email: 'bob@example.com',
        password: 'not the password',
      })
      const unknown = await call('POST', '/auth/login', {
        email: 'nobody@example.com',
        password: 'not the password',
      })
      expect(wrong.status).toBe(401)
      expect(unknown.status).toBe(401)
      expect(unknown.body.detail).toBe(wrong.body.detail)
    })

    test('/auth/me needs a valid token: missing, foreign-key, alg none and expired tokens are 401', async () => {
      await call('POST', '/auth/register', {
        email: 'me@example.com',
        password: 'me password 1234',
      })
      const { body: tokens } = await call('POST', '/auth/login', {
        email: 'me@example.com',
        password: 'me password 1234',
      })
      const me = await call('GET', '/auth/me', undefined, tokens.accessToken)
      expect(me.status).toBe(200)
      expect(me.body.email).toBe('me@example.com')

      const missing = await call('GET', '/auth/me')
      expect(missing.status).toBe(401)
      expect(missing.headers.get('www-authenticate')).toStartWith('Bearer')

      const other = await newKey()
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })
        .setSubject(me.body.id)
        .setIssuer(settings.issuer)
        .setAudience(settings.audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(other.privateKey)
      expect((await call('GET', '/auth/me', undefined, forged)).status).toBe(401)

      const [h, p] = tokens.accessToken.split('.')
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`
      expect((await call('GET', '/auth/me', undefined, none)).status).toBe(401)
      expect(h).toBeTruthy()

      const expiredAt = now
      now = new Date(now.getTime() + 16 * 60_000)
      try {
        const expired = await call('GET', '/auth/me', undefined, tokens.accessToken)
        expect(expired.status).toBe(401)
        expect(expired.headers.get('www-authenticate')).toContain('invalid_token')
      } finally {
        now = expiredAt
      }
    })

    test('refresh rotates; reusing a rotated token revokes the whole family; logout revokes', async () => {
      await call('POST', '/auth/register', {
        email: 'rot@example.com',
        password: 'rotation password',
      })
      const first = (
        await call('POST', '/auth/login', {
          email: 'rot@example.com',
          password: 'rotation password',
        })
      ).body
      const second = await call('POST', '/auth/refresh', { refreshToken: first.refreshToken })
      expect(second.status).toBe(200)
      expect(second.body.refreshToken).not.toBe(first.refreshToken)
      const third = await call('POST', '/auth/refresh', { refreshToken: second.body.refreshToken })
      expect(third.status).toBe(200)

      const reuse = await call('POST', '/auth/refresh', { refreshToken: first.refreshToken })
      expect(reuse.status).toBe(401)
      // The family is revoked: even the newest token no longer works.
      expect(
        (await call('POST', '/auth/refresh', { refreshToken: third.body.refreshToken })).status,
      ).toBe(401)

      const again = (
        await call('POST', '/auth/login', {
          email: 'rot@example.com',
          password: 'rotation password',
        })
      ).body
      expect(
        (await call('POST', '/auth/logout', { refreshToken: again.refreshToken })).status,
      ).toBe(204)
      expect(
        (await call('POST', '/auth/refresh', { refreshToken: again.refreshToken })).status,
      ).toBe(401)
      expect((await call('POST', '/auth/refresh', { refreshToken: 'x'.repeat(43) })).status).toBe(
        401,
      )
    })

    test('the JWKS publishes the signing key under the kid tokens carry', async () => {
      const jwks = await call('GET', '/.well-known/jwks.json')
      expect(jwks.status).toBe(200)
      expect(jwks.body.keys).toEqual([
        expect.objectContaining({
          kty: 'OKP',
          crv: 'Ed25519',
          kid: key.kid,
          alg: 'EdDSA',
          use: 'sig',
        }),
      ])
      await call('POST', '/auth/register', {
        email: 'kid@example.com',
        password: 'kid password 123',
      })
      const { body } = await call('POST', '/auth/login', {
        email: 'kid@example.com',
        password: 'kid password 123',
      })
      const header = JSON.parse(Buffer.from(body.accessToken.split('.')[0], 'base64url').toString())
      expect(header).toMatchObject({ alg: 'EdDSA', kid: key.kid })
      expect((await call('GET', '/openapi/json')).body.paths['/auth/register']).toBeDefined()
    })
  })
}
