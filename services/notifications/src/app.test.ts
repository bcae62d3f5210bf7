/**
 * The notifications service on PGlite and, when DATABASE_URL is set, on a real
 * PostgreSQL: the projector (who is notified, redelivered, duplicated and
 * out-of-order events ending in the same state), the HTTP routes (pages, unread,
 * read), and the live WebSocket over a real server and client: pushed as written,
 * resumed after a disconnect without a gap or a repeat, capped per user.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import {
  type CloudEvent,
  connectPostgres,
  createEvent,
  type Database,
  migrate,
  type RunningService,
} from '@civildiy/kit'
import {
  createTestDatabase,
  createTestIssuer,
  databaseKinds,
  NO_POSTGRES_REASON,
  serveForTest,
  silentLogger,
  type TestDatabase,
  type TestIssuer,
} from '@civildiy/kit/testing'
import { CommentCreated, CommentDeleted, PostLiked } from '@civildiy/posts/events'
import { UserFollowed } from '@civildiy/profile/events'
import { createApp } from './app.ts'
import { createLiveHub, type LiveHub, TOO_MANY_SOCKETS } from './live/live-hub.ts'
import { migrations } from './migrations.ts'
import type { LiveFrame, NotificationPage } from './notifications/model.ts'
import { createNotificationService } from './notifications/service.ts'
import { createNotificationProjector, type NotificationProjector } from './projector/projector.ts'

if (!process.env.DATABASE_URL)
  console.warn(`SKIPPED notifications tests on real PostgreSQL: ${NO_POSTGRES_REASON}`)

const at = () => new Date().toISOString()
const followed = (followerId: string, followeeId: string) =>
  createEvent(UserFollowed, { source: '/test', data: { followerId, followeeId, followedAt: at() } })
const liked = (authorId: string, userId: string, postId = randomUUID()) =>
  createEvent(PostLiked, {
    source: '/test',
    data: { postId, authorId, version: 2, userId, likeCount: 1 },
  })
const commented = (postAuthorId: string, authorId: string, commentId = randomUUID()) => {
  const ref = { commentId, postId: randomUUID(), postAuthorId, authorId }
  return {
    created: createEvent(CommentCreated, {
      source: '/test',
      data: { ...ref, version: 1, body: 'hi', createdAt: at() },
    }),
    deleted: createEvent(CommentDeleted, {
      source: '/test',
      data: { ...ref, version: 2, deletedAt: at() },
    }),
  }
}

for (const kind of databaseKinds()) {
  describe(`notifications on ${kind}`, () => {
    let tdb: TestDatabase
    let db: Database
    let issuer: TestIssuer
    let projector: NotificationProjector
    let live: LiveHub
    let server: RunningService
    const apply = async (...events: CloudEvent[]) => {
      for (const e of events)
        await projector.handlers[e.type]!(e, { topic: 't', partition: 0, offset: '0' })
    }
    const call = async (method: string, path: string, as: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await issuer.tokenFor(as)}`,
          'content-type': 'application/json',
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      return {
        status: res.status,
        body: (await res.json()) as Partial<NotificationPage>,
      }
    }
    const kindsOf = async (user: string) =>
      (await call('GET', '/notifications?limit=100', user)).body.items!.map((n) => n.kind)

    beforeAll(async () => {
      tdb = await createTestDatabase(kind)
      db = await connectPostgres({ url: tdb.url, logger: silentLogger() })
      await migrate(db.sql, 'notifications', migrations)
      issuer = await createTestIssuer()
      const notifications = createNotificationService(db.sql)
      // A long poll: the tests see pushes that come from the wake-up, not the poll,
      // except where a test says otherwise.
      live = createLiveHub({
        notifications,
        maxPerUser: 2,
        heartbeatMs: 60_000,
        pollMs: 100,
        logger: silentLogger(),
      })
      projector = createNotificationProjector(db.sql, live.wake)
      server = await serveForTest(
        'notifications',
        createApp({
          notifications,
          live,
          verify: issuer.verify,
          logger: silentLogger('notifications'),
          production: true,
        }),
      )
    })
    afterAll(async () => {
      live?.close()
      await server?.stop()
      await db?.close()
      await tdb?.drop()
    })

    test('the followee, the liked author and the commented author are notified; acting on yourself is not news', async () => {
      const [me, fan] = [randomUUID(), randomUUID()]
      await apply(followed(fan, me), liked(me, fan), commented(me, fan).created)
      await apply(liked(me, me), commented(me, me).created, followed(me, fan))
      const page = await call('GET', '/notifications', me)
      expect(page.status).toBe(200)
      expect(page.body.items!.map((n) => [n.seq, n.kind, n.actorId, n.read])).toEqual([
        [3, 'comment', fan, false],
        [2, 'like', fan, false],
        [1, 'follow', fan, false],
      ])
      expect(page.body.unread).toBe(3)
      expect(await kindsOf(fan)).toEqual(['follow'])
    })

    test('redelivered, duplicated and out-of-order events end in the same notifications', async () => {
      const [a, b] = [randomUUID(), randomUUID()]
      const kept = commented(a, randomUUID())
      const withdrawn = commented(a, randomUUID())
      const events = [followed(randomUUID(), a), kept.created, withdrawn.created, withdrawn.deleted]
      await apply(...events)
      // The same events to another user, redelivered twice, the delete before its create.
      const shuffled = [
        withdrawn.deleted,
        ...events.toReversed(),
        ...events,
        withdrawn.created,
      ].map((e) => ({
        ...(JSON.parse(JSON.stringify(e).replaceAll(a, b)) as CloudEvent),
        // Other events (for b), each redelivered with its own id, as a broker would.
        id: `${e.id}-b`,
      }))
      await apply(...shuffled, ...shuffled)
      expect((await kindsOf(a)).toSorted()).toEqual(['comment', 'follow'])
      expect((await kindsOf(b)).toSorted()).toEqual(['comment', 'follow'])
      const commentOf = async (u: string) =>
        (await call('GET', '/notifications', u)).body.items!.find((n) => n.kind === 'comment')
      expect((await commentOf(a))?.commentId).toBe(kept.created.data.commentId)
      expect((await commentOf(b))?.commentId).toBe(kept.created.data.commentId)
    })

    test('pages go newest first through the cursor; read up to a seq or all', async () => {
      const me = randomUUID()
      for (let i = 0; i < 5; i++) await apply(followed(randomUUID(), me))
      const seqs: number[] = []
      let cursor: string | null = null
      do {
        const q: string = cursor ? `&cursor=${cursor}` : ''
        const page = await call('GET', `/notifications?limit=2${q}`, me)
        seqs.push(...page.body.items!.map((n) => n.seq))
        cursor = page.body.nextCursor ?? null
      } while (cursor)
      expect(seqs).toEqual([5, 4, 3, 2, 1])
      expect((await call('POST', '/notifications/read', me, { upTo: 3 })).body).toEqual({
        unread: 2,
      })
      const after = await call('GET', '/notifications', me)
      expect(after.body.items!.map((n) => n.read)).toEqual([false, false, true, true, true])
      expect((await call('POST', '/notifications/read', me, {})).body).toEqual({ unread: 0 })
      expect((await call('GET', '/notifications?cursor=abc', me)).status).toBe(400)
      expect((await call('POST', '/notifications/read', me, { upTo: -1 })).status).toBe(422)
      const anonymous = await fetch(`${server.url}/notifications`)
      expect(anonymous.status).toBe(401)
    })

    /** A live socket for `user`, and the notification seqs it received. */
    async function openLive(user: string, after?: number) {
      const q = after === undefined ? '' : `?after=${after}`
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/notifications/live${q}`, {
        headers: { authorization: `Bearer ${await issuer.tokenFor(user)}` },
      } as unknown as string[])
      const seqs: number[] = []
      ws.onmessage = (e) => {
        const frame = JSON.parse(String(e.data)) as LiveFrame
        if (frame.type === 'notification') seqs.push(frame.notification.seq)
      }
      const closed = new Promise<number>((resolve) => {
        ws.onclose = (e) => resolve(e.code)
      })
      await new Promise((resolve, reject) => {
        ws.onopen = resolve
        ws.onerror = reject
      })
      return { ws, seqs, closed }
    }
    const until = async (ok: () => boolean) => {
      for (let i = 0; i < 500 && !ok(); i++) await Bun.sleep(10)
      return ok()
    }

    test('a live socket gets each new notification; resuming after a disconnect misses none and repeats none', async () => {
      const me = randomUUID()
      await apply(followed(randomUUID(), me))
      // From now: the notification written before is not sent.
      const first = await openLive(me)
      await apply(followed(randomUUID(), me), liked(me, randomUUID()))
      expect(await until(() => first.seqs.length === 2)).toBe(true)
      expect(first.seqs).toEqual([2, 3])
      first.ws.close()
      await first.closed
      // Written while nobody listened.
      await apply(followed(randomUUID(), me), liked(me, randomUUID()))
      const again = await openLive(me, first.seqs.at(-1))
      await apply(followed(randomUUID(), me))
      expect(await until(() => again.seqs.length === 3)).toBe(true)
      expect(again.seqs).toEqual([4, 5, 6])
      // after=0 replays everything, in order.
      const all = await openLive(me, 0)
      expect(await until(() => all.seqs.length === 6)).toBe(true)
      expect(all.seqs).toEqual([1, 2, 3, 4, 5, 6])
      again.ws.close()
      all.ws.close()
    })

    test('a notification written by another instance reaches the socket through the poll', async () => {
      const me = randomUUID()
      const socket = await openLive(me, 0)
      // Another instance's projector: same database, its own (absent) hub.
      await createNotificationProjector(db.sql).handlers[UserFollowed.type]!(
        followed(randomUUID(), me),
        { topic: 't', partition: 0, offset: '0' },
      )
      expect(await until(() => socket.seqs.length === 1)).toBe(true)
      socket.ws.close()
    })

    test('one socket past the per-user cap is closed with 4429; a closed one frees its place', async () => {
      const me = randomUUID()
      const [a, b] = [await openLive(me), await openLive(me)]
      const c = await openLive(me)
      expect(await c.closed).toBe(TOO_MANY_SOCKETS)
      a.ws.close()
      await a.closed
      expect(await until(() => live.size() === 1)).toBe(true)
      // The freed place is taken: the new socket is served.
      const d = await openLive(me, 0)
      await apply(followed(randomUUID(), me))
      expect(await until(() => d.seqs.length === 1)).toBe(true)
      d.ws.close()
      b.ws.close()
      const anonymous = new WebSocket(`${server.url.replace('http', 'ws')}/notifications/live`)
      const refused = await new Promise<string>((resolve) => {
        anonymous.onopen = () => resolve('open')
        anonymous.onerror = () => resolve('error')
      })
      expect(refused).toBe('error')
    })
  })
}
