/**
 * SASL on the devstack broker with the unchanged kafkajs client: PLAIN and
 * SCRAM-SHA-256/512 succeed with the right password and fail with a wrong one,
 * nothing is answered before authentication, and topic ACLs refuse a write or read
 * outside a user's topics.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { fixKafkajsIdleLoop } from '@civildiy/kit/kafkajs-idle-loop-fix'
import { Kafka, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs'
import { type BrokerLogEntry, type KafkaBroker, startKafkaBroker } from './broker.ts'

let broker: KafkaBroker
const logs: BrokerLogEntry[] = []
const closers: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  fixKafkajsIdleLoop()
  broker = await startKafkaBroker({
    port: 0,
    log: (e) => logs.push(e),
    sasl: {
      users: { posts: 'posts-secret', feed: 'feed-secret' },
      acls: {
        posts: { write: ['civildiy.posts*'] },
        feed: { read: ['civildiy.posts*'], write: ['civildiy.feed.dlq'] },
      },
    },
  })
})
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {})
  await broker.stop()
})

const client = (sasl?: SASLOptions, extra: Partial<KafkaConfig> = {}) =>
  new Kafka({
    clientId: 'sasl-test',
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...(sasl ? { sasl } : {}),
    ...extra,
  })

async function connectedProducer(sasl?: SASLOptions) {
  const producer = client(sasl).producer({ allowAutoTopicCreation: true })
  await producer.connect()
  closers.push(() => producer.disconnect())
  return producer
}

describe('SASL authentication', () => {
  test.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    '%s with the right password may publish',
    async (mechanism) => {
      const producer = await connectedProducer({
        mechanism,
        username: 'posts',
        password: 'posts-secret',
      } as SASLOptions)
      const [sent] = await producer.send({
        topic: 'civildiy.posts',
        messages: [{ key: 'k', value: mechanism }],
      })
      expect(sent!.errorCode).toBe(0)
    },
  )

  test.each([
    ['plain', 'posts', 'guess'],
    ['scram-sha-256', 'posts', 'guess'],
    ['scram-sha-256', 'nobody', 'posts-secret'],
  ] as const)(
    '%s as %s with a wrong password cannot connect',
    async (mechanism, username, password) => {
      const before = logs.length
      const producer = client({ mechanism, username, password } as SASLOptions).producer()
      const failure = await producer.connect().then(
        () => null,
        (e: Error) => e,
      )
      expect(failure?.name).toBe('KafkaJSSASLAuthenticationError')
      expect(failure?.message).toContain('invalid credentials')
      expect(logs.slice(before).some((l) => l.msg === 'SASL authentication failed')).toBe(true)
    },
  )

  test('a client without SASL gets no answer but ApiVersions, and its connection is closed', async () => {
    const before = logs.length
    const producer = client().producer()
    closers.push(() => producer.disconnect())
    const failure = await producer
      .connect()
      .then(() => producer.send({ topic: 'civildiy.posts', messages: [{ value: 'anonymous' }] }))
      .then(
        () => null,
        (e: Error) => e,
      )
    expect(failure).not.toBeNull()
    expect(
      logs.slice(before).some((l) => String(l.reason).includes('before SASL authentication')),
    ).toBe(true)
  })

  test('a mechanism the broker does not offer is refused at the handshake', async () => {
    const failure = await client({
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: 'token' }),
    })
      .producer()
      .connect()
      .then(
        () => null,
        (e: Error) => e,
      )
    expect(failure?.message).toContain('does not support the requested SASL mechanism')
  })
})

describe('topic ACLs', () => {
  const feedLogin = { mechanism: 'scram-sha-256', username: 'feed', password: 'feed-secret' }
  const postsLogin = { mechanism: 'scram-sha-256', username: 'posts', password: 'posts-secret' }

  test("a write to another service's topic is refused with TOPIC_AUTHORIZATION_FAILED", async () => {
    const producer = await connectedProducer(postsLogin as SASLOptions)
    const failure = await producer
      .send({ topic: 'civildiy.follows', messages: [{ value: 'forged follow' }] })
      .then(
        () => null,
        (e: Error & { type?: string }) => e,
      )
    expect(failure?.type).toBe('TOPIC_AUTHORIZATION_FAILED')
  })

  test('a consumer reads the topics it may read, and is refused the others', async () => {
    const posts = await connectedProducer(postsLogin as SASLOptions)
    await posts.send({
      topic: 'civildiy.posts.v2',
      messages: [{ key: 'p', value: 'for the feed' }],
    })
    const read = async (topic: string) => {
      const consumer = client(feedLogin as SASLOptions).consumer({
        groupId: `acl-${topic}`,
        sessionTimeout: 6_000,
        maxWaitTimeInMs: 100,
        retry: { retries: 0 },
      })
      closers.push(() => consumer.disconnect())
      const outcome = Promise.withResolvers<string>()
      consumer.on(consumer.events.CRASH, (e) =>
        outcome.resolve(`crash: ${(e.payload.error as Error).message}`),
      )
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        eachMessage: async ({ message }) => outcome.resolve(`read ${message.value}`),
      })
      return outcome.promise
    }
    expect(await read('civildiy.posts.v2')).toBe('read for the feed')
    expect(await read('civildiy.follows')).toBe(
      'crash: Not authorized to access topics: [Topic authorization failed]',
    )
    const feed = await connectedProducer(feedLogin as SASLOptions)
    const failure = await feed
      .send({ topic: 'civildiy.posts', messages: [{ value: 'feed may not write posts' }] })
      .catch((e: Error & { type?: string }) => e.type)
    expect(failure).toBe('TOPIC_AUTHORIZATION_FAILED')
  })
})
