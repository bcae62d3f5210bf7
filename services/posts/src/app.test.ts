/**
 * The posts service through HTTP (`app.handle`) on the devstack MongoDB (or the
 * MongoDB at MONGO_URL), and its outbox relay against the devstack Kafka broker.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import {
  type KafkaBroker,
  type MongoServer,
  startKafkaBroker,
  startMongo,
} from '@civildiy/devstack'
import {
  createEventPublisher,
  type EventPublisher,
  parseEvent,
  requestContext,
} from '@civildiy/kit'
import { createTestIssuer, readTopic, silentLogger, type TestIssuer } from '@civildiy/kit/testing'
import { type Collection, MongoClient } from 'mongodb'
import { createApp } from './app.ts'
import type { CommentDoc } from './comments/model.ts'
import { ensureCommentIndexes } from './comments/service.ts'
import { PostsAuditTopic, PostsTopic } from './events.ts'
import { startDocumentOutboxRelay } from './outbox-relay.ts'
import { commentOutbox, postOutbox } from './outbox-sources.ts'
import type { PostDoc } from './posts/model.ts'
import { ensurePostIndexes } from './posts/service.ts'

let server: MongoServer | null = null
let client: MongoClient
let posts: Collection<PostDoc>
let comments: Collection<CommentDoc>
let issuer: TestIssuer
let app: ReturnType<typeof createApp>
const dbName = `posts_test_${randomUUID().slice(0, 8)}`

beforeAll(async () => {
  if (!process.env.MONGO_URL) server = await startMongo({ port: 0, log: () => {} })
  client = await MongoClient.connect(process.env.MONGO_URL ?? server!.url)
  posts = client.db(dbName).collection<PostDoc>('posts')
  await ensurePostIndexes(posts)
  comments = client.db(dbName).collection<CommentDoc>('comments')
  await ensureCommentIndexes(comments)
  issuer = await createTestIssuer()
  app = createApp({
    posts,
    comments,
    verify: issuer.verify,
    logger: silentLogger('posts'),
    production: true,
  })
})

afterAll(async () => {
  await client.db(dbName).dropDatabase()
  await client.close()
  await server?.stop()
})

async function call(
  method: string,
  path: string,
  o: { body?: unknown; as?: string; roles?: string[]; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers }
  if (o.as)
    headers.authorization = `Bearer ${await issuer.tokenFor(o.as, o.roles ? { roles: o.roles } : {})}`
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

const write = (as: string, body: string, headers?: Record<string, string>) =>
  call('POST', '/posts', { as, body: { body }, headers })

describe('posts', () => {
  test('a post is created with a trimmed body, a Location, and post.created on its document', async () => {
    const author = randomUUID()
    const res = await write(author, '  hello world  ')
    expect(res.status).toBe(201)
    expect(res.headers.get('location')).toBe(`/posts/${res.body.id}`)
    expect(res.body).toMatchObject({
      authorId: author,
      body: 'hello world',
      version: 1,
      likeCount: 0,
    })
    const doc = await posts.findOne({ _id: res.body.id })
    expect(doc!.outbox.map((e) => e.type)).toEqual(['post.created'])
    expect((await call('GET', `/posts/${res.body.id}`)).body).toEqual(res.body)
  })

  test('bodies are 1..5,000 characters after trimming; writing needs a token', async () => {
    const author = randomUUID()
    for (const body of ['', '   \n  ', 'x'.repeat(5_001)]) {
      const res = await write(author, body)
      expect(res.status).toBe(422)
      expect(res.body.errors[0].field).toBe('/body')
    }
    expect((await write(author, 'x'.repeat(5_000))).status).toBe(201)
    expect((await call('POST', '/posts', { body: { body: 'anonymous' } })).status).toBe(401)
    expect(
      (await call('POST', '/posts', { as: author, body: { text: 'wrong field' } })).status,
    ).toBe(422)
  })

  test('a retried create with the same Idempotency-Key returns the first post, never a second one', async () => {
    const author = randomUUID()
    const key = { 'idempotency-key': `k-${randomUUID()}` }
    const first = await write(author, 'only once', key)
    const again = await write(author, 'only once', key)
    expect(first.status).toBe(201)
    expect(again.status).toBe(200)
    expect(again.body.id).toBe(first.body.id)
    expect(await posts.countDocuments({ authorId: author })).toBe(1)
    const reused = await write(author, 'something else', key)
    expect(reused.status).toBe(409)
    expect(reused.body.code).toBe('idempotency_key_reused')
    // Keys belong to their author: another author's identical key makes a new post.
    expect((await write(randomUUID(), 'only once', key)).status).toBe(201)
    expect((await write(author, 'x', { 'idempotency-key': 'bad key with spaces' })).status).toBe(
      400,
    )
  })

  test('only the author edits or deletes; missing posts are 404 and malformed ids 400', async () => {
    const author = randomUUID()
    const other = randomUUID()
    const { body: post } = await write(author, 'first draft')
    expect(
      (await call('PATCH', `/posts/${post.id}`, { as: other, body: { body: 'hijacked' } })).status,
    ).toBe(403)
    const edited = await call('PATCH', `/posts/${post.id}`, {
      as: author,
      body: { body: 'second draft' },
    })
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({ body: 'second draft', version: 2 })
    expect((await call('DELETE', `/posts/${post.id}`, { as: other })).status).toBe(403)
    expect((await call('DELETE', `/posts/${post.id}`, { as: author })).status).toBe(204)
    expect((await call('GET', `/posts/${post.id}`)).status).toBe(404)
    expect(
      (await call('PATCH', `/posts/${post.id}`, { as: author, body: { body: 'too late' } })).status,
    ).toBe(404)
    expect((await call('DELETE', `/posts/${randomUUID()}`, { as: author })).status).toBe(404)
    expect((await call('GET', '/posts/not-an-id')).status).toBe(400)
    const doc = await posts.findOne({ _id: post.id })
    expect(doc!.outbox.map((e) => e.type)).toEqual(['post.created', 'post.updated', 'post.deleted'])
  })

  test('likes are idempotent per user; concurrent likes all count, each with its own version', async () => {
    const { body: post } = await write(randomUUID(), 'like me')
    const fan = randomUUID()
    await call('PUT', `/posts/${post.id}/like`, { as: fan })
    const twice = await call('PUT', `/posts/${post.id}/like`, { as: fan })
    expect(twice.body.likeCount).toBe(1)
    const fans = Array.from({ length: 10 }, () => randomUUID())
    await Promise.all(fans.map((u) => call('PUT', `/posts/${post.id}/like`, { as: u })))
    expect((await call('GET', `/posts/${post.id}`)).body.likeCount).toBe(11)
    expect((await call('DELETE', `/posts/${post.id}/like`, { as: fan })).body.likeCount).toBe(10)
    expect((await call('DELETE', `/posts/${post.id}/like`, { as: fan })).body.likeCount).toBe(10)
    const doc = await posts.findOne({ _id: post.id })
    const versions = doc!.outbox.map((e) => (e.data as { version: number }).version)
    expect(versions).toEqual(Array.from({ length: 13 }, (_, i) => i + 1))
    expect((await call('PUT', `/posts/${randomUUID()}/like`, { as: fan })).status).toBe(404)
  })

  test('listing pages newest first, by author, with a stable cursor', async () => {
    const author = randomUUID()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await write(author, `post ${i}`)).body.id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = await call(
        'GET',
        `/posts?author=${author}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((p: { id: string }) => p.id))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(seen).toEqual(ids.toReversed())
    expect((await call('GET', '/posts?cursor=nonsense')).status).toBe(400)
    expect((await call('GET', '/posts?limit=101')).status).toBe(400)
  })
})

describe('comments', () => {
  const comment = (postId: string, as: string, body: string) =>
    call('POST', `/posts/${postId}/comments`, { as, body: { body } })

  test('anyone signed in comments on a live post; the comment carries the post’s author for notifications', async () => {
    const [author, reader] = [randomUUID(), randomUUID()]
    const { body: post } = await write(author, 'comment on me')
    const res = await comment(post.id, reader, '  Which hinges?  ')
    expect(res.status).toBe(201)
    expect(res.headers.get('location')).toBe(`/posts/${post.id}/comments/${res.body.id}`)
    expect(res.body).toMatchObject({ postId: post.id, authorId: reader, body: 'Which hinges?' })
    const doc = await comments.findOne({ _id: res.body.id })
    expect(doc!.outbox.map((e) => [e.type, e.data])).toEqual([
      [
        'comment.created',
        expect.objectContaining({
          commentId: res.body.id,
          postId: post.id,
          postAuthorId: author,
          authorId: reader,
          version: 1,
        }),
      ],
    ])
    expect((await call('POST', `/posts/${post.id}/comments`, { body: { body: 'x' } })).status).toBe(
      401,
    )
    for (const body of ['', '  ', 'x'.repeat(2_001)])
      expect((await comment(post.id, reader, body)).status).toBe(422)
    expect((await comment(randomUUID(), reader, 'no such post')).status).toBe(404)
    expect((await comment('not-a-uuid', reader, 'bad id')).status).toBe(400)
  })

  test('only its author edits or deletes a comment; a deleted one is gone from the list', async () => {
    const [author, commenter, other] = [randomUUID(), randomUUID(), randomUUID()]
    const { body: post } = await write(author, 'thread')
    const { body: c } = await comment(post.id, commenter, 'first')
    const path = `/posts/${post.id}/comments/${c.id}`
    expect((await call('PATCH', path, { as: other, body: { body: 'hijack' } })).status).toBe(403)
    const edited = await call('PATCH', path, { as: commenter, body: { body: 'second' } })
    expect(edited.body).toMatchObject({ body: 'second', version: 2 })
    // The post's author cannot delete someone else's comment either (moderation is roles' work).
    expect((await call('DELETE', path, { as: author })).status).toBe(403)
    expect((await call('DELETE', path, { as: commenter })).status).toBe(204)
    expect((await call('DELETE', path, { as: commenter })).status).toBe(404)
    expect((await call('PATCH', path, { as: commenter, body: { body: 'late' } })).status).toBe(404)
    expect((await call('GET', `/posts/${post.id}/comments`)).body.items).toEqual([])
    // A comment is addressed through its own post only.
    const elsewhere = (await write(author, 'another')).body.id
    expect(
      (await call('DELETE', `/posts/${elsewhere}/comments/${c.id}`, { as: commenter })).status,
    ).toBe(404)
    const doc = await comments.findOne({ _id: c.id })
    expect(doc!.outbox.map((e) => e.type)).toEqual([
      'comment.created',
      'comment.updated',
      'comment.deleted',
    ])
  })

  test('a thread pages oldest first with a stable cursor; concurrent comments all land', async () => {
    const { body: post } = await write(randomUUID(), 'busy thread')
    const made = await Promise.all(
      Array.from({ length: 7 }, (_, i) => comment(post.id, randomUUID(), `c${i}`)),
    )
    expect(made.map((r) => r.status)).toEqual(Array(7).fill(201))
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const q: string = cursor ? `&cursor=${cursor}` : ''
      const page = await call('GET', `/posts/${post.id}/comments?limit=3${q}`)
      expect(page.status).toBe(200)
      seen.push(...page.body.items.map((c: { id: string }) => c.id))
      cursor = page.body.nextCursor
    } while (cursor)
    const expected = (
      await comments.find({ postId: post.id }).sort({ createdAt: 1, _id: 1 }).toArray()
    ).map((d) => d._id)
    expect(seen).toEqual(expected)
    expect(new Set(seen).size).toBe(7)
    expect((await call('GET', `/posts/${post.id}/comments?cursor=nonsense`)).status).toBe(400)
    expect((await call('GET', `/posts/${randomUUID()}/comments`)).status).toBe(404)
  })
})

describe('moderation', () => {
  const roles: [string, string[] | null, number][] = [
    ['anonymous', null, 401],
    ['user', ['user'], 403],
    ['moderator', ['user', 'moderator'], 200],
    ['admin', ['user', 'admin'], 200],
  ]
  const moderate = (path: string, roles: string[] | null, body: unknown) =>
    call('POST', path, roles ? { as: randomUUID(), roles, body } : { body })

  test('role × route: moderators and admins hide or remove any post or comment; users 403, no token 401', async () => {
    for (const [who, r, expected] of roles) {
      const author = randomUUID()
      const post = (await write(author, `moderate me as ${who}`)).body
      const comment = (
        await call('POST', `/posts/${post.id}/comments`, { as: author, body: { body: 'c' } })
      ).body
      const reason = { action: 'hide', reason: `tested as ${who}` }
      const onPost = await moderate(`/posts/${post.id}/moderation`, r, reason)
      const onComment = await moderate(
        `/posts/${post.id}/comments/${comment.id}/moderation`,
        r,
        reason,
      )
      expect([who, onPost.status, onComment.status]).toEqual([who, expected, expected])
      if (expected === 200)
        expect(onPost.body).toMatchObject({
          subject: `post:${post.id}`,
          action: 'hide',
          reason: `tested as ${who}`,
        })
    }
  })

  test('hidden is kept for appeal and gone from every read; removed is erased; both go out as deletes with an audit event', async () => {
    const author = randomUUID()
    const moderator = ['user', 'moderator']
    const hidden = (await write(author, 'kept but hidden')).body
    const removed = (await write(author, 'erased')).body
    const comment = (
      await call('POST', `/posts/${removed.id}/comments`, { as: author, body: { body: 'c' } })
    ).body
    expect(
      (
        await moderate(`/posts/${removed.id}/comments/${comment.id}/moderation`, moderator, {
          action: 'remove',
          reason: 'spam link',
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await moderate(`/posts/${hidden.id}/moderation`, moderator, {
          action: 'hide',
          reason: 'off topic',
        })
      ).status,
    ).toBe(200)
    expect(
      (
        await moderate(`/posts/${removed.id}/moderation`, moderator, {
          action: 'remove',
          reason: 'spam',
        })
      ).status,
    ).toBe(200)

    expect((await call('GET', `/posts/${hidden.id}`)).status).toBe(404)
    expect((await call('GET', `/posts?author=${author}`)).body.items).toEqual([])
    expect((await call('PUT', `/posts/${hidden.id}/like`, { as: randomUUID() })).status).toBe(404)
    const kept = await posts.findOne({ _id: hidden.id })
    expect(kept!.body).toBe('kept but hidden')
    expect(kept!.moderation).toMatchObject({ action: 'hide', reason: 'off topic' })
    expect(kept!.outbox.map((e) => [e.type, e.topic ?? null])).toEqual([
      ['post.created', null],
      ['post.deleted', null],
      ['audit.recorded', 'civildiy.posts.audit'],
    ])
    const audit = kept!.outbox.at(-1)!.data as { action: string; reason: string; subject: string }
    expect(audit).toMatchObject({
      action: 'post.hidden',
      reason: 'off topic',
      subject: `post:${hidden.id}`,
    })
    expect((await posts.findOne({ _id: removed.id }))!.body).toBe('')
    const c = await comments.findOne({ _id: comment.id })
    expect([c!.body, c!.outbox.map((e) => e.type).at(-1)]).toEqual(['', 'audit.recorded'])
    // A second moderation of what is gone is a 404, never a second event.
    expect(
      (
        await moderate(`/posts/${hidden.id}/moderation`, moderator, {
          action: 'remove',
          reason: 'again',
        })
      ).status,
    ).toBe(404)
  })

  test('bad moderation input is a 4xx problem', async () => {
    const post = (await write(randomUUID(), 'p')).body
    const m = ['user', 'moderator']
    for (const [path, body, status] of [
      [`/posts/${post.id}/moderation`, { action: 'ban', reason: 'nope' }, 422],
      [`/posts/${post.id}/moderation`, { action: 'hide', reason: 'x' }, 422],
      [`/posts/${post.id}/moderation`, { action: 'hide' }, 422],
      [`/posts/${randomUUID()}/moderation`, { action: 'hide', reason: 'gone' }, 404],
      ['/posts/not-a-uuid/moderation', { action: 'hide', reason: 'bad id' }, 400],
    ] as const) {
      const res = await moderate(path, [...m], body)
      expect(`${path} ${JSON.stringify(body)} ${res.status}`).toBe(
        `${path} ${JSON.stringify(body)} ${status}`,
      )
    }
  })
})

describe('post outbox relay', () => {
  let broker: KafkaBroker
  let publisher: EventPublisher
  beforeAll(async () => {
    broker = await startKafkaBroker({ port: 0, log: () => {} })
    publisher = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'posts-test',
      logger: silentLogger(),
    })
  })
  afterAll(async () => {
    await publisher.close()
    await broker.stop()
  })

  /** A posts app on a database of its own, and a way to call it as a given user. */
  async function relayFixture(dbSuffix: string) {
    const db = client.db(`${dbName}_${dbSuffix}`)
    const relayPosts = db.collection<PostDoc>('posts')
    await ensurePostIndexes(relayPosts)
    const relayComments = db.collection<CommentDoc>('comments')
    await ensureCommentIndexes(relayComments)
    const relayApp = createApp({
      posts: relayPosts,
      comments: relayComments,
      verify: issuer.verify,
      logger: silentLogger('posts'),
      production: true,
    })
    const send = async (
      method: string,
      path: string,
      user: string,
      body?: unknown,
      roles?: string[],
    ) =>
      relayApp.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${await issuer.tokenFor(user, roles ? { roles } : {})}`,
          },
          body: body ? JSON.stringify(body) : undefined,
        }),
      )
    return { db, relayPosts, relayComments, send }
  }

  /** Waits (up to 10 s) until the relay has nothing pending. */
  async function drained(relay: { pending(): Promise<number> }) {
    const deadline = Date.now() + 10_000
    while ((await relay.pending()) > 0 && Date.now() < deadline) await Bun.sleep(20)
  }

  test('publishes each post’s events in order, keyed by author, and removes deleted posts once out', async () => {
    const { db, relayPosts, send } = await relayFixture('relay')
    const author = randomUUID()
    const post = (await (await send('POST', '/posts', author, { body: 'hello' })).json()) as {
      id: string
    }
    await send('PATCH', `/posts/${post.id}`, author, { body: 'hello again' })
    await send('PUT', `/posts/${post.id}/like`, randomUUID())
    await send('DELETE', `/posts/${post.id}`, author)

    let available: EventPublisher | null = null
    const relay = startDocumentOutboxRelay({
      sources: [postOutbox(relayPosts, PostsTopic)],
      publisher: () => available,
      logger: silentLogger(),
      pollIntervalMs: 50,
    })
    try {
      await Bun.sleep(150)
      // No publisher (Kafka down): everything waits on the document.
      expect(await relay.pending()).toBe(4)
      available = publisher
      relay.kick()
      await drained(relay)
      expect(await relayPosts.countDocuments({ _id: post.id })).toBe(0)
    } finally {
      await relay.stop()
    }

    const got = (await readTopic(broker.brokers, PostsTopic, 4)).map((m) => {
      const e = parseEvent(m.value)
      return { key: m.key, type: e.type, version: (e.data as { version: number }).version }
    })
    expect(got).toEqual([
      { key: author, type: 'post.created', version: 1 },
      { key: author, type: 'post.updated', version: 2 },
      { key: author, type: 'post.liked', version: 3 },
      { key: author, type: 'post.deleted', version: 4 },
    ])
    await db.dropDatabase()
  }, 30_000)

  test('comment events go to their own topic keyed by post, in order, beside the post events', async () => {
    const { db, relayPosts, relayComments, send } = await relayFixture('relay-comments')
    const author = randomUUID()
    const post = (await (await send('POST', '/posts', author, { body: 'p' })).json()) as {
      id: string
    }
    const c = (await (
      await send('POST', `/posts/${post.id}/comments`, author, { body: 'c' })
    ).json()) as { id: string }
    await send('PATCH', `/posts/${post.id}/comments/${c.id}`, author, { body: 'c2' })
    await send('DELETE', `/posts/${post.id}/comments/${c.id}`, author)
    const relay = startDocumentOutboxRelay({
      sources: [
        postOutbox(relayPosts, 'posts-with-comments'),
        commentOutbox(relayComments, 'comments-of-posts'),
      ],
      publisher: () => publisher,
      logger: silentLogger(),
      pollIntervalMs: 50,
    })
    try {
      await drained(relay)
    } finally {
      await relay.stop()
    }
    const got = (await readTopic(broker.brokers, 'comments-of-posts', 3)).map((m) => {
      const e = parseEvent(m.value)
      return { key: m.key, type: e.type, version: (e.data as { version: number }).version }
    })
    expect(got).toEqual([
      { key: post.id, type: 'comment.created', version: 1 },
      { key: post.id, type: 'comment.updated', version: 2 },
      { key: post.id, type: 'comment.deleted', version: 3 },
    ])
    expect((await readTopic(broker.brokers, 'posts-with-comments', 1))[0]!.key).toBe(author)
    // The deleted comment's document goes once its last event is out.
    expect(await relayComments.countDocuments({ _id: c.id })).toBe(0)
    await db.dropDatabase()
  }, 30_000)

  test('a moderation goes out as post.deleted on the post topic and its audit event on the audit topic', async () => {
    const { db, relayPosts, send } = await relayFixture('relay-moderation')
    const author = randomUUID()
    const moderator = randomUUID()
    const post = (await (await send('POST', '/posts', author, { body: 'spam' })).json()) as {
      id: string
    }
    const res = await requestContext.run({ requestId: 'moderation-request' }, () =>
      send(
        'POST',
        `/posts/${post.id}/moderation`,
        moderator,
        { action: 'remove', reason: 'spam' },
        ['user', 'moderator'],
      ),
    )
    expect(res.status).toBe(200)
    const relay = startDocumentOutboxRelay({
      sources: [postOutbox(relayPosts, 'posts-moderated')],
      publisher: () => publisher,
      logger: silentLogger(),
      pollIntervalMs: 50,
    })
    try {
      await drained(relay)
    } finally {
      await relay.stop()
    }
    const onPosts = (await readTopic(broker.brokers, 'posts-moderated', 2)).map(
      (m) => parseEvent(m.value).type,
    )
    expect(onPosts).toEqual(['post.created', 'post.deleted'])
    const [audit] = await readTopic(broker.brokers, PostsAuditTopic, 1)
    const event = parseEvent(audit!.value)
    expect(event.data).toMatchObject({
      action: 'post.removed',
      actorId: moderator,
      subject: `post:${post.id}`,
      reason: 'spam',
      requestId: 'moderation-request',
      details: { authorId: author },
    })
    expect(audit!.headers['x-request-id']).toBe('moderation-request')
    expect(await relayPosts.countDocuments({ _id: post.id })).toBe(0)
    await db.dropDatabase()
  }, 30_000)

  test('events from different requests relayed in one batch reach Kafka with their own request ids', async () => {
    const { db, relayPosts, send } = await relayFixture('relay3')
    const author = randomUUID()
    const ids: Record<string, string> = {}
    for (const requestId of ['request-a', 'request-b']) {
      const res = await requestContext.run({ requestId }, () =>
        send('POST', '/posts', author, { body: `from ${requestId}` }),
      )
      ids[((await res.json()) as { id: string }).id] = requestId
    }
    const seen: Record<string, string | undefined> = {}
    const batches: number[] = []
    const recording: EventPublisher = {
      connected: () => true,
      close: async () => {},
      async publish(events) {
        batches.push(events.length)
        await publisher.publish(events)
      },
    }
    // The relay runs inside a third request's context: it must not lend it to either event.
    const relay = await requestContext.run({ requestId: 'request-that-woke-the-relay' }, async () =>
      startDocumentOutboxRelay({
        sources: [postOutbox(relayPosts, 'posts-request-ids')],
        publisher: () => recording,
        logger: silentLogger(),
        pollIntervalMs: 50,
      }),
    )
    try {
      await drained(relay)
    } finally {
      await relay.stop()
    }
    expect(batches).toEqual([2])
    for (const m of await readTopic(broker.brokers, 'posts-request-ids', 2)) {
      const postId = (parseEvent(m.value).data as { postId: string }).postId
      seen[postId] = m.headers['x-request-id']
    }
    expect(seen).toEqual(ids)
    await db.dropDatabase()
  }, 30_000)

  test('an event written while its post’s earlier events are being published is kept and goes out next', async () => {
    const { db, relayPosts, send: sendAs } = await relayFixture('relay2')
    const author = randomUUID()
    const send = (method: string, path: string, body?: unknown) =>
      sendAs(method, path, author, body)
    const live = (await (await send('POST', '/posts', { body: 'stays' })).json()) as { id: string }
    const gone = (await (await send('POST', '/posts', { body: 'goes' })).json()) as { id: string }
    await send('DELETE', `/posts/${gone.id}`)
    const published: string[] = []
    let editedDuringPublish = false
    const slowPublisher: EventPublisher = {
      connected: () => true,
      close: async () => {},
      async publish(events) {
        // The author edits the live post while its first batch is in flight.
        if (!editedDuringPublish) {
          editedDuringPublish = true
          await send('PATCH', `/posts/${live.id}`, { body: 'edited meanwhile' })
        }
        published.push(
          ...events.map((e) => `${e.event.type}:${(e.event.data as { postId: string }).postId}`),
        )
      },
    }
    const relay = startDocumentOutboxRelay({
      sources: [postOutbox(relayPosts, PostsTopic)],
      publisher: () => slowPublisher,
      logger: silentLogger(),
      pollIntervalMs: 50,
    })
    try {
      await drained(relay)
    } finally {
      await relay.stop()
    }
    expect(published).toEqual([
      `post.created:${live.id}`,
      `post.created:${gone.id}`,
      `post.deleted:${gone.id}`,
      `post.updated:${live.id}`,
    ])
    const doc = await relayPosts.findOne({ _id: live.id })
    expect(doc?.outbox).toEqual([])
    expect(doc?.outboxPending).toBeUndefined()
    expect(await relayPosts.countDocuments({ _id: gone.id })).toBe(0)
    await db.dropDatabase()
  }, 30_000)
})
