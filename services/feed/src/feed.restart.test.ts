/**
 * The feed process killed (SIGKILL) mid-stream and started again, with its read
 * model in a real Redis: it resumes from the consumer group's committed offsets and
 * the view ends with every post exactly once, and no deleted post back. And a read
 * model left in an older format is rebuilt from the events at start.
 */
import { afterAll, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { freePort, NO_REDIS_REASON, startKafkaBroker, startTestRedis } from '@civildiy/devstack'
import { createEvent, createEventPublisher, type OutgoingEvent } from '@civildiy/kit'
import { silentLogger } from '@civildiy/kit/testing'
import { PostCreated, PostDeleted, PostsTopic } from '@civildiy/posts/events'
import { FollowsTopic, UserFollowed } from '@civildiy/profile/events'
import { feedKeys, READ_MODEL_FORMAT } from './feed/keys.ts'
import type { FeedPost } from './store/feed-store.ts'
import { createRedisStore } from './store/redis-store.ts'

const redis = await startTestRedis()
if (!redis) console.warn(`SKIPPED feed restart test: ${NO_REDIS_REASON}`)
// Run in reverse at the end: Redis, registered first, stops last, whichever tests ran.
const cleanup: (() => Promise<unknown>)[] = [async () => redis?.stop()]
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

/** The feed service as its own process, on the test Redis, with its read model under `prefix`. */
const spawnFeed = (o: { port: number; prefix: string; brokers: string[] }) =>
  Bun.spawn([process.execPath, join(import.meta.dir, 'main.ts')], {
    env: {
      ...process.env,
      PORT: String(o.port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      REDIS_URL: redis!.url,
      FEED_KEY_PREFIX: o.prefix,
      KAFKA_BROKERS: o.brokers[0]!,
      AUTH_JWKS_URL: 'http://127.0.0.1:1/jwks',
      CONSUL_HTTP_ADDR: '',
    },
    stdout: 'ignore',
    stderr: 'inherit',
  })

test.skipIf(!redis)(
  'a feed killed mid-stream and restarted loses nothing and duplicates nothing',
  async () => {
    const broker = await startKafkaBroker({ port: 0, log: () => {} })
    cleanup.push(() => broker.stop())
    const prefix = `restart-${randomUUID().slice(0, 8)}:`
    const port = await freePort()
    const feed = () => spawnFeed({ port, prefix, brokers: broker.brokers })
    const publisher = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'restart-test',
      logger: silentLogger(),
    })
    cleanup.push(() => publisher.close())
    const [author, fan] = [randomUUID(), randomUUID()]
    await publisher.publish([
      {
        topic: FollowsTopic,
        key: fan,
        event: createEvent(UserFollowed, {
          source: '/t',
          data: { followerId: fan, followeeId: author, followedAt: new Date().toISOString() },
        }),
      },
    ])

    const store = createRedisStore(redis!.url)
    cleanup.push(() => store.close())
    const keys = feedKeys(prefix)
    const kept: string[] = []
    const publishPosts = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const postId = Bun.randomUUIDv7()
        const createdAt = new Date(Date.parse('2026-06-01T00:00:00Z') + i * 1000).toISOString()
        const events: OutgoingEvent[] = [
          {
            topic: PostsTopic,
            key: author,
            event: createEvent(PostCreated, {
              source: '/t',
              data: { postId, authorId: author, version: 1, body: `post ${i}`, createdAt },
            }),
          },
        ]
        if (i % 10 === 0)
          events.push({
            topic: PostsTopic,
            key: author,
            event: createEvent(PostDeleted, {
              source: '/t',
              data: { postId, authorId: author, version: 2, deletedAt: createdAt },
            }),
          })
        else kept.push(postId)
        await publisher.publish(events)
      }
    }

    let proc = feed()
    await publishPosts(0, 150)
    const homeSize = async () => (await store.latest(keys.home(fan), 1000)).length
    const deadline = Date.now() + 30_000
    while ((await homeSize()) < 30 && Date.now() < deadline) await Bun.sleep(10)
    proc.kill('SIGKILL')
    await proc.exited
    const before = await homeSize()
    expect(before).toBeGreaterThan(0)
    await publishPosts(150, 300)

    proc = feed()
    cleanup.push(async () => {
      proc.kill('SIGTERM')
      await proc.exited
    })
    // Until the view settles on exactly the kept posts: mid-stream, a deleted post can
    // still be there while a kept one is not yet, and the count alone would match.
    const keptSet = new Set(kept)
    const settled = async () => {
      const now = await store.latest(keys.home(fan), 1000)
      return now.length === kept.length && now.every((h) => keptSet.has(h.member))
    }
    while (!(await settled()) && Date.now() < deadline + 30_000) await Bun.sleep(20)
    const home = await store.latest(keys.home(fan), 1000)
    expect(home).toHaveLength(kept.length)
    expect(new Set(home.map((h) => h.member))).toEqual(new Set(kept))
    const global = await store.latest(keys.global, 1000)
    expect(global.map((g) => g.member).sort()).toEqual([...kept].sort())
  },
  90_000,
)

test.skipIf(!redis)(
  'a read model stored in an older format is dropped and rebuilt from the events at start',
  async () => {
    const broker = await startKafkaBroker({ port: 0, log: () => {} })
    cleanup.push(() => broker.stop())
    const prefix = `format-${randomUUID().slice(0, 8)}:`
    const keys = feedKeys(prefix)
    const store = createRedisStore(redis!.url)
    cleanup.push(() => store.close())
    // What format 1 left behind: numeric times, and a post no event in the topic knows of.
    await store.setMeta(keys.consumerGroup, 'feed-format-1')
    await store.setPost(keys.post('stale'), {
      id: 'stale',
      authorId: 'a',
      body: 'old',
      createdAt: 1,
      updatedAt: 1,
      version: 1,
      likeCount: 0,
    } as unknown as FeedPost)
    await store.add([keys.global], 1, 'stale', 100)
    const publisher = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'format-test',
      logger: silentLogger(),
    })
    cleanup.push(() => publisher.close())
    const [postId, author] = [randomUUID(), randomUUID()]
    const createdAt = '2026-06-01T00:00:00.000Z'
    await publisher.publish([
      {
        topic: PostsTopic,
        key: author,
        event: createEvent(PostCreated, {
          source: '/t',
          data: { postId, authorId: author, version: 1, body: 'kept', createdAt },
        }),
      },
    ])
    const port = await freePort()
    const proc = spawnFeed({ port, prefix, brokers: broker.brokers })
    cleanup.push(async () => {
      proc.kill('SIGTERM')
      await proc.exited
    })
    const deadline = Date.now() + 30_000
    let page: { items: { id: string; createdAt: string }[] } = { items: [] }
    while (Date.now() < deadline) {
      page = await fetch(`http://127.0.0.1:${port}/feed/global`)
        .then((r) => r.json() as Promise<typeof page>)
        .catch(() => ({ items: [] }))
      if (page.items.length) break
      await Bun.sleep(20)
    }
    expect(page.items).toEqual([expect.objectContaining({ id: postId, createdAt, body: 'kept' })])
    expect(await store.getPost(keys.post('stale'))).toBeNull()
    expect(await store.getMeta(keys.format)).toBe(READ_MODEL_FORMAT)
    expect(await store.getMeta(keys.consumerGroup)).not.toBe('feed-format-1')
  },
  60_000,
)

test.skipIf(!redis)(
  'a read model lost while running (its keys flushed) is noticed and rebuilt without a restart',
  async () => {
    const broker = await startKafkaBroker({ port: 0, log: () => {} })
    cleanup.push(() => broker.stop())
    const prefix = `loss-${randomUUID().slice(0, 8)}:`
    const keys = feedKeys(prefix)
    const store = createRedisStore(redis!.url)
    cleanup.push(() => store.close())
    const publisher = await createEventPublisher({
      brokers: broker.brokers,
      clientId: 'loss-test',
      logger: silentLogger(),
    })
    cleanup.push(() => publisher.close())
    const author = randomUUID()
    const ids: string[] = []
    for (let i = 0; i < 40; i++) {
      const postId = Bun.randomUUIDv7()
      ids.push(postId)
      await publisher.publish([
        {
          topic: PostsTopic,
          key: author,
          event: createEvent(PostCreated, {
            source: '/t',
            data: {
              postId,
              authorId: author,
              version: 1,
              body: `post ${i}`,
              createdAt: new Date(Date.parse('2026-06-01T00:00:00Z') + i * 1000).toISOString(),
            },
          }),
        },
      ])
    }
    const port = await freePort()
    const proc = spawnFeed({ port, prefix, brokers: broker.brokers })
    cleanup.push(async () => {
      proc.kill('SIGTERM')
      await proc.exited
    })
    const globalIds = async () =>
      (await store.latest(keys.global, 1000)).map((g) => g.member).sort()
    const ready = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => null)
      const body = (await res?.json().catch(() => null)) as {
        checks?: Record<string, { details?: { rebuilds?: number } }>
      } | null
      return {
        status: res?.status ?? 0,
        rebuilds: body?.checks?.['read model (redis)']?.details?.rebuilds,
      }
    }
    const deadline = Date.now() + 30_000
    while ((await globalIds()).length < ids.length && Date.now() < deadline) await Bun.sleep(20)
    expect(await globalIds()).toEqual([...ids].sort())
    expect((await ready()).rebuilds).toBe(0)

    // What FLUSHALL (or a restart without persistence) does to this model.
    await store.clear(prefix)
    expect(await globalIds()).toEqual([])
    let state = await ready()
    while (!(state.status === 200 && state.rebuilds === 1) && Date.now() < deadline + 30_000) {
      await Bun.sleep(50)
      state = await ready()
    }
    expect(state).toEqual({ status: 200, rebuilds: 1 })
    expect(await globalIds()).toEqual([...ids].sort())
    expect(proc.exitCode).toBeNull()
  },
  90_000,
)
