/**
 * The projector behind a real consumer group on the devstack Kafka broker:
 * events published by the kit's publisher become feed items; a poison message goes
 * to the dead-letter topic and processing continues; the HTTP routes serve them.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { type KafkaBroker, startKafkaBroker } from '@civildiy/devstack'
import {
  createEvent,
  createEventPublisher,
  type EventConsumer,
  type EventPublisher,
  startEventConsumer,
} from '@civildiy/kit'
import { createTestIssuer, rawKafka, readTopic, silentLogger } from '@civildiy/kit/testing'
import { PostCreated, PostsTopic } from '@civildiy/posts/events'
import { FollowsTopic, UserFollowed } from '@civildiy/profile/events'
import { createApp } from './app.ts'
import { feedKeys } from './feed/keys.ts'
import { createProjector, defaultFeedSettings } from './feed/projector.ts'
import { createMemoryStore } from './store/memory-store.ts'

let broker: KafkaBroker
let publisher: EventPublisher
let consumer: EventConsumer
const store = createMemoryStore()
const keys = feedKeys()
const logger = silentLogger()

beforeAll(async () => {
  broker = await startKafkaBroker({ port: 0, log: () => {} })
  publisher = await createEventPublisher({
    brokers: broker.brokers,
    clientId: 'feed-test-publisher',
    logger: logger,
  })
  const projector = createProjector(store, keys, defaultFeedSettings)
  consumer = await startEventConsumer({
    brokers: broker.brokers,
    clientId: 'feed-test',
    groupId: 'feed-test',
    topics: [PostsTopic, FollowsTopic],
    deadLetterTopic: 'feed-test.dlq',
    maxAttempts: 2,
    retryBaseMs: 10,
    concurrency: 8,
    orderingKey: projector.orderingKey,
    handlers: Object.fromEntries(
      projector.types.map((t) => [t, async (e) => void (await projector.apply(e))]),
    ),
    logger,
  })
})

afterAll(async () => {
  await consumer.close()
  await publisher.close()
  await broker.stop()
})

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`)
    await Bun.sleep(20)
  }
}

test('published events become feed items served over HTTP; a poison message is dead-lettered and the stream goes on', async () => {
  const issuer = await createTestIssuer()
  const app = createApp({ store, keys, verify: issuer.verify, logger, production: true })
  const get = async (path: string, as?: string) => {
    const headers: Record<string, string> = as
      ? { authorization: `Bearer ${await issuer.tokenFor(as)}` }
      : {}
    const res = await app.handle(new Request(`http://localhost${path}`, { headers }))
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: (await res.json()) as { items: { id: string }[] },
    }
  }
  const [author, fan, p1, p2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
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
  await publisher.publish([
    {
      topic: PostsTopic,
      key: author,
      event: createEvent(PostCreated, {
        source: '/t',
        data: {
          postId: p1,
          authorId: author,
          version: 1,
          body: 'one',
          createdAt: new Date().toISOString(),
        },
      }),
    },
  ])

  // A message that is not a CloudEvent, then a valid event behind it on the same key.
  const raw = rawKafka(broker.brokers, 'feed-test-raw').producer()
  await raw.connect()
  await raw.send({ topic: PostsTopic, messages: [{ key: author, value: '{"not":"an event"}' }] })
  // A post.created of a version this consumer cannot read (a publisher ahead of it).
  const future = createEvent(PostCreated, {
    source: '/t',
    data: {
      postId: crypto.randomUUID(),
      authorId: author,
      version: 1,
      body: 'v2',
      createdAt: new Date().toISOString(),
    },
  })
  const v2 = { ...future, dataschema: future.dataschema.replace(/\/v1$/, '/v2') }
  await raw.send({ topic: PostsTopic, messages: [{ key: author, value: JSON.stringify(v2) }] })
  await raw.disconnect()
  await publisher.publish([
    {
      topic: PostsTopic,
      key: author,
      event: createEvent(PostCreated, {
        source: '/t',
        data: {
          postId: p2,
          authorId: author,
          version: 1,
          body: 'two',
          createdAt: new Date(Date.now() + 1).toISOString(),
        },
      }),
    },
  ])

  await until(async () => (await get('/feed', fan)).body.items.length === 2)
  expect((await get('/feed', fan)).body.items.map((i) => i.id)).toEqual([p2, p1])
  const global = await get('/feed/global')
  expect(global.body.items.map((i) => i.id)).toEqual([p2, p1])
  expect(global.type).toStartWith('application/json')
  expect((await get(`/feed/users/${author}`)).body.items.map((i) => i.id)).toEqual([p2, p1])
  expect((await get('/feed')).status).toBe(401)
  expect((await get('/feed/global?limit=0')).status).toBe(400)

  const dead = (await readTopic(broker.brokers, 'feed-test.dlq', 2)).map((m) =>
    String(m.headers['x-dlq-reason']),
  )
  expect(dead).toHaveLength(2)
  expect(dead[0]).toContain('not a CloudEvents')
  expect(dead[1]).toContain('/v2')

  const status = await consumer.status()
  expect(status.joined).toBe(true)
  expect(status.lag.every((l) => l.lag >= 0)).toBe(true)
  expect(status.lastEventAt).not.toBeNull()
}, 40_000)
