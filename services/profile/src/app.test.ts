/**
 * The profile service through HTTP (`app.handle`) and its user.registered handler,
 * on PGlite and, when DATABASE_URL is set, on a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { UserRegistered } from '@civildiy/auth/events'
import { connectPostgres, createEvent, type Database, migrate } from '@civildiy/kit'
import {
  createTestDatabase,
  createTestIssuer,
  databaseKinds,
  NO_POSTGRES_REASON,
  silentLogger,
  type TestDatabase,
  type TestIssuer,
} from '@civildiy/kit/testing'
import { createApp } from './app.ts'
import { migrations } from './migrations.ts'
import { createProfileService, type ProfileService } from './profiles/service.ts'

if (!process.env.DATABASE_URL)
  console.warn(`SKIPPED profile tests on real PostgreSQL: ${NO_POSTGRES_REASON}`)

for (const kind of databaseKinds()) {
  describe(`profile on ${kind}`, () => {
    let tdb: TestDatabase
    let db: Database
    let issuer: TestIssuer
    let app: ReturnType<typeof createApp>
    let profiles: ProfileService
    let clock = new Date('2026-03-01T00:00:00Z')

    beforeAll(async () => {
      tdb = await createTestDatabase(kind)
      db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
      await migrate(db.sql, 'profile', migrations)
      issuer = await createTestIssuer()
      profiles = createProfileService(db.sql, () => clock)
      app = createApp({
        sql: db.sql,
        profiles,
        verify: issuer.verify,
        logger: silentLogger('profile'),
        production: true,
        clock: () => clock,
      })
    })

    afterAll(async () => {
      await db?.close()
      await tdb?.drop()
    })

    async function newUser(email = `${randomUUID().slice(0, 8)}@example.com`): Promise<string> {
      const userId = randomUUID()
      await profiles.onUserRegistered(
        createEvent(UserRegistered, {
          source: '/test',
          subject: userId,
          data: { userId, email, registeredAt: new Date().toISOString() },
        }),
      )
      return userId
    }

    const call = async (method: string, path: string, o: { body?: unknown; as?: string } = {}) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (o.as) headers.authorization = `Bearer ${await issuer.tokenFor(o.as)}`
      const res = await app.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers,
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
        }),
      )
      const text = await res.text()
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null }
    }

    test('user.registered creates the default profile once, even when delivered twice', async () => {
      const userId = randomUUID()
      const event = createEvent(UserRegistered, {
        source: '/test',
        subject: userId,
        data: { userId, email: 'grace.hopper@example.com', registeredAt: new Date().toISOString() },
      })
      await profiles.onUserRegistered(event)
      await profiles.onUserRegistered(event)
      await profiles.onUserRegistered({ ...event, id: Bun.randomUUIDv7() })
      const res = await call('GET', `/profiles/${userId}`)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({
        userId,
        displayName: `user-${userId.replaceAll('-', '').slice(-8)}`,
        bio: '',
        avatarUrl: null,
        followers: 0,
        following: 0,
      })
      const [{ n }] =
        (await db.sql`select count(*)::int as n from profiles where user_id = ${userId}`) as unknown as [
          { n: number },
        ]
      expect(n).toBe(1)
    })

    test('unknown profiles are 404, malformed ids 400, both as problem+json', async () => {
      const missing = await call('GET', `/profiles/${randomUUID()}`)
      expect(missing.status).toBe(404)
      expect(missing.headers.get('content-type')).toBe('application/problem+json')
      const bad = await call('GET', '/profiles/not-a-uuid')
      expect(bad.status).toBe(400)
      expect(bad.body.errors[0].field).toBe('/id')
    })

    test('PATCH /profiles/me edits only the caller, from the verified token', async () => {
      const ann = await newUser('ann@example.com')
      const bob = await newUser('bob@example.com')
      const res = await call('PATCH', '/profiles/me', {
        as: ann,
        body: {
          displayName: 'Ann',
          bio: 'Builds things',
          avatarUrl: 'https://img.example/ann.png',
        },
      })
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({
        userId: ann,
        displayName: 'Ann',
        bio: 'Builds things',
        avatarUrl: 'https://img.example/ann.png',
      })
      const bobName = (await call('GET', `/profiles/${bob}`)).body.displayName
      expect(bobName).toMatch(/^user-[0-9a-f]{8}$/)
      expect(bobName).not.toContain('bob')
      // A spoofed header cannot choose whose profile is edited: only the token counts.
      expect((await call('PATCH', '/profiles/me', { body: { bio: 'x' } })).status).toBe(401)
      expect((await call('PATCH', '/profiles/me', { as: ann, body: {} })).status).toBe(422)
      expect(
        (await call('PATCH', '/profiles/me', { as: ann, body: { avatarUrl: 'http://insecure' } }))
          .status,
      ).toBe(422)
      expect(
        (await call('PATCH', '/profiles/me', { as: ann, body: { displayName: '' } })).status,
      ).toBe(422)
      expect(
        (await call('PATCH', '/profiles/me', { as: randomUUID(), body: { bio: 'ghost' } })).status,
      ).toBe(404)
    })

    test('follow and unfollow are idempotent, publish one event per change, and reject self and unknown users', async () => {
      const a = await newUser()
      const b = await newUser()
      expect((await call('PUT', `/profiles/${b}/follow`, { as: a })).status).toBe(204)
      expect((await call('PUT', `/profiles/${b}/follow`, { as: a })).status).toBe(204)
      expect((await call('GET', `/profiles/${b}`)).body.followers).toBe(1)
      const events = async () =>
        (
          await db.sql<
            { envelope: { type: string; data: { followeeId: string } } }[]
          >`select envelope from outbox_events where key = ${a} order by id`
        ).map((r) => r.envelope.type)
      expect(await events()).toEqual(['user.followed'])
      const self = await call('PUT', `/profiles/${a}/follow`, { as: a })
      expect(self.status).toBe(422)
      expect(self.body.detail).toContain('yourself')
      expect((await call('PUT', `/profiles/${randomUUID()}/follow`, { as: a })).status).toBe(404)
      expect((await call('PUT', `/profiles/${b}/follow`)).status).toBe(401)
      expect((await call('DELETE', `/profiles/${b}/follow`, { as: a })).status).toBe(204)
      expect((await call('DELETE', `/profiles/${b}/follow`, { as: a })).status).toBe(204)
      expect(await events()).toEqual(['user.followed', 'user.unfollowed'])
      expect((await call('GET', `/profiles/${b}`)).body.followers).toBe(0)
    })

    test('followers and following page with stable cursors, newest first', async () => {
      const star = await newUser()
      const fans: string[] = []
      for (let i = 0; i < 7; i++) {
        const fan = await newUser()
        clock = new Date(clock.getTime() + 1_000)
        expect((await call('PUT', `/profiles/${star}/follow`, { as: fan })).status).toBe(204)
        fans.push(fan)
      }
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const q: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3'
        const page = await call('GET', `/profiles/${star}/followers${q}`)
        expect(page.status).toBe(200)
        seen.push(...page.body.items.map((i: { userId: string }) => i.userId))
        cursor = page.body.nextCursor
        pages++
      } while (cursor)
      expect(pages).toBe(3)
      expect(seen).toEqual(fans.toReversed())
      const following = await call('GET', `/profiles/${fans[0]}/following`)
      expect(following.body.items.map((i: { userId: string }) => i.userId)).toEqual([star])
      expect((await call('GET', `/profiles/${star}/followers?cursor=garbage`)).status).toBe(400)
      // A well-formed cursor holding a date PostgreSQL cannot store is a 400, not a 500.
      const farFuture = Buffer.from(
        JSON.stringify(['+275000-01-01T00:00:00.000Z', Bun.randomUUIDv7()]),
      ).toString('base64url')
      expect((await call('GET', `/profiles/${star}/followers?cursor=${farFuture}`)).status).toBe(
        400,
      )
      expect((await call('GET', `/profiles/${star}/followers?limit=0`)).status).toBe(400)
      expect((await call('GET', `/profiles/${randomUUID()}/followers`)).status).toBe(404)
    })
  })
}
