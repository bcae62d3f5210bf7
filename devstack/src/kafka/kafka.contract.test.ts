/**
 * Contract suite for the embedded Kafka broker, driven only through kafkajs.
 * With KAFKA_BROKERS set, the same tests run against Apache Kafka.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { CompressionTypes, type Consumer, type EachMessagePayload } from 'kafkajs'
import {
  type BrokerUnderTest,
  brokerUnderTest,
  uniqueTopic,
  until,
} from './testing/broker-under-test.ts'

let b: BrokerUnderTest
const cleanup: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  b = await brokerUnderTest()
})

afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
  await b.stop()
})

function consumer(
  groupId: string,
  extra: Partial<Parameters<typeof b.kafka.consumer>[0]> = {},
): Consumer {
  const c = b.kafka.consumer({
    groupId,
    sessionTimeout: b.sessionTimeout,
    heartbeatInterval: 100,
    maxWaitTimeInMs: 100,
    rebalanceTimeout: 5_000,
    ...extra,
  })
  cleanup.push(() => c.disconnect())
  return c
}

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const admin = b.kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
  await admin.disconnect()
}

async function produce(
  topic: string,
  messages: { key?: string; value: string; partition?: number }[],
  opts: { acks?: number; compression?: CompressionTypes } = {},
) {
  const producer = b.kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const res = await producer.send({ topic, messages, ...opts })
  await producer.disconnect()
  return res
}

/** Tracks the latest assignment a consumer received for `topic`. */
function trackAssignment(c: Consumer, topic: string): { partitions: number[] } {
  const state = { partitions: [] as number[] }
  c.on(c.events.GROUP_JOIN, (e) => {
    state.partitions = [...(e.payload.memberAssignment[topic] ?? [])].sort()
  })
  return state
}

describe('topic administration', () => {
  test('creates, lists, describes, grows and deletes topics', async () => {
    const topic = uniqueTopic('admin')
    const admin = b.kafka.admin()
    await admin.connect()
    cleanup.push(() => admin.disconnect())
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })).toBe(true)
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] })).toBe(false)
    expect(await admin.listTopics()).toContain(topic)
    const meta = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(meta.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3])
    expect(meta.topics[0]!.partitions.every((p) => p.leader >= 0)).toBe(true)
    await admin.createPartitions({ topicPartitions: [{ topic, count: 6 }] })
    const grown = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(grown.topics[0]!.partitions).toHaveLength(6)
    await admin.deleteTopics({ topics: [topic] })
    expect(await admin.listTopics()).not.toContain(topic)
  })

  test('rejects an illegal topic name', async () => {
    const admin = b.kafka.admin()
    await admin.connect()
    cleanup.push(() => admin.disconnect())
    await expect(
      admin.createTopics({ topics: [{ topic: 'not a legal name!', numPartitions: 1 }] }),
    ).rejects.toThrow()
  })
})

describe('producing and consuming', () => {
  test('keyed messages keep their order within a partition', async () => {
    const topic = uniqueTopic('order')
    await createTopic(topic, 3)
    const keys = ['alice', 'bob', 'carol', 'dave', 'erin']
    for (let round = 0; round < 10; round++) {
      await produce(
        topic,
        keys.flatMap((key) => [0, 1, 2].map((i) => ({ key, value: String(round * 3 + i) }))),
      )
    }
    const seen = new Map<string, { partition: number; value: number }[]>()
    const c = consumer(uniqueTopic('g'))
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    let total = 0
    await c.run({
      eachMessage: async ({ partition, message }: EachMessagePayload) => {
        const key = message.key!.toString()
        seen.set(key, [
          ...(seen.get(key) ?? []),
          { partition, value: Number(message.value!.toString()) },
        ])
        total++
      },
    })
    await until(() => total === 150, 15_000, '150 messages')
    for (const key of keys) {
      const got = seen.get(key)!
      expect(new Set(got.map((m) => m.partition)).size).toBe(1)
      expect(got.map((m) => m.value)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    }
  })

  test('gzip-compressed batches round-trip', async () => {
    const topic = uniqueTopic('gzip')
    await createTopic(topic, 1)
    const values = Array.from(
      { length: 50 },
      (_, i) => `compressed message ${i} ${'x'.repeat(200)}`,
    )
    await produce(
      topic,
      values.map((value) => ({ value })),
      { compression: CompressionTypes.GZIP },
    )
    const got: string[] = []
    const c = consumer(uniqueTopic('g'))
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) })
    await until(() => got.length === 50, 10_000, '50 gzip messages')
    expect(got).toEqual(values)
  })

  test('acks 0 writes are stored although no response is sent', async () => {
    const topic = uniqueTopic('acks0')
    await createTopic(topic, 1)
    await produce(topic, [{ value: 'fire and forget' }], { acks: 0 })
    const admin = b.kafka.admin()
    await admin.connect()
    cleanup.push(() => admin.disconnect())
    let high = '0'
    const deadline = Date.now() + 5_000
    while (high !== '1' && Date.now() < deadline) {
      high = (await admin.fetchTopicOffsets(topic))[0]!.high
      if (high !== '1') await Bun.sleep(20)
    }
    expect(high).toBe('1')
  })

  test('an idempotent producer writes every message once, in order', async () => {
    const topic = uniqueTopic('idem')
    await createTopic(topic, 1)
    const producer = b.kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    cleanup.push(() => producer.disconnect())
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic, messages: [{ value: `a${i}` }, { value: `b${i}` }] })
    }
    const got: string[] = []
    const c = consumer(uniqueTopic('g'))
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) })
    await until(() => got.length >= 40, 10_000, '40 messages')
    await Bun.sleep(200)
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => [`a${i}`, `b${i}`]).flat())
  })

  test('a waiting fetch answers as soon as data arrives, not at max wait', async () => {
    const topic = uniqueTopic('longpoll')
    await createTopic(topic, 1)
    const c = consumer(uniqueTopic('g'), { maxWaitTimeInMs: 10_000 })
    const assigned = trackAssignment(c, topic)
    let receivedAt = 0
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    await c.run({
      eachMessage: async () => {
        receivedAt = Date.now()
      },
    })
    await until(() => assigned.partitions.length === 1, 10_000, 'assignment')
    await Bun.sleep(300) // let the consumer settle into a long poll
    const sentAt = Date.now()
    await produce(topic, [{ value: 'wake up' }])
    await until(() => receivedAt > 0, 9_000, 'the message')
    // A broker that only answered at max wait would take 10 s here.
    expect(receivedAt - sentAt).toBeLessThan(2_000)
    // Wake the pending long poll so disconnecting does not wait out the 10 s max wait.
    const stopping = c.disconnect()
    await produce(topic, [{ value: 'bye' }])
    await stopping
  })
})

describe('consumer groups', () => {
  test('two members split the partitions and rebalance when one leaves', async () => {
    const topic = uniqueTopic('split')
    const groupId = uniqueTopic('g')
    await createTopic(topic, 4)
    const a = consumer(groupId)
    const aState = trackAssignment(a, topic)
    await a.connect()
    await a.subscribe({ topic, fromBeginning: true })
    await a.run({ eachMessage: async () => {} })
    await until(() => aState.partitions.length === 4, 10_000, 'a owns all 4')

    const second = consumer(groupId)
    const bState = trackAssignment(second, topic)
    await second.connect()
    await second.subscribe({ topic, fromBeginning: true })
    await second.run({ eachMessage: async () => {} })
    await until(
      () => aState.partitions.length === 2 && bState.partitions.length === 2,
      15_000,
      'a 2/2 split',
    )
    expect([...aState.partitions, ...bState.partitions].sort()).toEqual([0, 1, 2, 3])

    await second.disconnect()
    await until(() => aState.partitions.length === 4, 15_000, 'a to own all 4 again')
  })

  test('a member joining mid-stream takes partitions over with no message delivered twice', async () => {
    // The first member's commits while the group prepares the rebalance must be kept
    // (Kafka accepts them in PreparingRebalance), or the second re-reads from older offsets.
    const topic = uniqueTopic('handover')
    const groupId = uniqueTopic('g')
    await createTopic(topic, 4)
    const seen = new Map<string, number>()
    const count = ({ message }: EachMessagePayload) => {
      const v = message.value!.toString()
      seen.set(v, (seen.get(v) ?? 0) + 1)
    }
    const producer = b.kafka.producer()
    await producer.connect()
    cleanup.push(() => producer.disconnect())
    let sent = 0
    let producing = true
    const feeding = (async () => {
      while (producing) {
        await producer.send({
          topic,
          messages: Array.from({ length: 20 }, () => ({
            key: String(sent % 8),
            value: String(sent++),
          })),
        })
        await Bun.sleep(10)
      }
    })()
    const a = consumer(groupId)
    await a.connect()
    await a.subscribe({ topic, fromBeginning: true })
    await a.run({ eachMessage: async (p) => count(p) })
    await until(() => seen.size >= 200, 15_000, 'the first member under way')
    const second = consumer(groupId)
    const bState = trackAssignment(second, topic)
    await second.connect()
    await second.subscribe({ topic, fromBeginning: true })
    await second.run({ eachMessage: async (p) => count(p) })
    await until(() => bState.partitions.length === 2, 15_000, 'the hand-over')
    await Bun.sleep(500)
    producing = false
    await feeding
    await until(() => seen.size === sent, 15_000, 'every message consumed')
    const twice = [...seen.values()].filter((n) => n > 1).length
    expect({ sent, twice }).toEqual({ sent, twice: 0 })
  })

  test('a member killed without leaving is expired after its session timeout', async () => {
    const topic = uniqueTopic('kill')
    const groupId = uniqueTopic('g')
    await createTopic(topic, 4)
    const child = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, 'testing', 'consumer-process.ts'),
        b.brokers.join(','),
        groupId,
        topic,
        String(b.sessionTimeout),
      ],
      {
        stdout: 'pipe',
        stderr: 'inherit',
      },
    )
    cleanup.push(async () => child.kill(9))
    let childAssigned = 0
    void (async () => {
      for await (const line of child.stdout.pipeThrough(new TextDecoderStream())) {
        for (const l of line.split('\n'))
          if (l.startsWith('assigned ')) childAssigned = JSON.parse(l.slice(9)).length
      }
    })()
    await until(() => childAssigned === 4, 15_000, 'the child process to own all 4')

    const survivor = consumer(groupId)
    const state = trackAssignment(survivor, topic)
    await survivor.connect()
    await survivor.subscribe({ topic, fromBeginning: true })
    await survivor.run({ eachMessage: async () => {} })
    await until(
      () => state.partitions.length === 2 && childAssigned === 2,
      15_000,
      'a 2/2 split with the child',
    )

    child.kill(9)
    const killedAt = Date.now()
    await until(
      () => state.partitions.length === 4,
      b.sessionTimeout + 15_000,
      'the survivor to own all 4',
    )
    // The partitions moved because the session expired, not before.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(b.sessionTimeout / 2)
  })

  test('a restarted consumer resumes from its committed offset', async () => {
    const topic = uniqueTopic('resume')
    const groupId = uniqueTopic('g')
    await createTopic(topic, 1)
    await produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
    )
    const first = consumer(groupId)
    let firstCount = 0
    await first.connect()
    await first.subscribe({ topic, fromBeginning: true })
    await first.run({ eachMessage: async () => void firstCount++ })
    await until(() => firstCount === 10, 10_000, 'the first 10')
    await first.disconnect()

    await produce(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ value: String(10 + i) })),
    )
    const second = consumer(groupId)
    const offsets: number[] = []
    await second.connect()
    await second.subscribe({ topic, fromBeginning: true })
    await second.run({
      eachMessage: async ({ message }) => void offsets.push(Number(message.offset)),
    })
    await until(() => offsets.length >= 5, 10_000, 'the next 5')
    await Bun.sleep(300)
    expect(offsets).toEqual([10, 11, 12, 13, 14])
  })

  test('messages past the committed offset are redelivered (at-least-once)', async () => {
    const topic = uniqueTopic('redeliver')
    const groupId = uniqueTopic('g')
    await createTopic(topic, 1)
    await produce(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: String(i) })),
    )
    const first = consumer(groupId, {})
    let seen = 0
    await first.connect()
    await first.subscribe({ topic, fromBeginning: true })
    await first.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen++
        // Processed everything, but only offsets 0..4 were committed (next to read: 5).
        if (message.offset === '4')
          await first.commitOffsets([{ topic, partition: 0, offset: '5' }])
      },
    })
    await until(() => seen === 10, 10_000, 'the first pass')
    await first.disconnect()

    const second = consumer(groupId)
    const offsets: number[] = []
    await second.connect()
    await second.subscribe({ topic, fromBeginning: true })
    await second.run({
      eachMessage: async ({ message }) => void offsets.push(Number(message.offset)),
    })
    await until(() => offsets.length >= 5, 10_000, 'the redelivered 5')
    await Bun.sleep(300)
    expect(offsets).toEqual([5, 6, 7, 8, 9])
  })

  test('describes and lists groups and reads committed offsets through the admin client', async () => {
    const topic = uniqueTopic('describe')
    const groupId = uniqueTopic('g')
    await createTopic(topic, 2)
    await produce(topic, [
      { value: 'x', partition: 0 },
      { value: 'y', partition: 1 },
    ])
    const c = consumer(groupId)
    let n = 0
    await c.connect()
    await c.subscribe({ topic, fromBeginning: true })
    await c.run({ eachMessage: async () => void n++ })
    await until(() => n === 2, 10_000, 'two messages')
    const admin = b.kafka.admin()
    await admin.connect()
    cleanup.push(() => admin.disconnect())
    const { groups } = await admin.describeGroups([groupId])
    expect(groups[0]!.state).toBe('Stable')
    expect(groups[0]!.members).toHaveLength(1)
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(groupId)
    await c.disconnect()
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(offsets!.partitions.map((p) => p.offset).sort()).toEqual(['1', '1'])
    await admin.deleteGroups([groupId])
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId)
  })
})

describe('bad input', () => {
  /** Opens a raw TCP connection; resolves `closed` when the broker hangs up. */
  async function rawConnection() {
    const [host, port] = b.brokers[0]!.split(':') as [string, string]
    const received: Uint8Array[] = []
    let closed = false
    const socket = await Bun.connect({
      hostname: host,
      port: Number(port),
      socket: {
        data: (_s, d) => void received.push(new Uint8Array(d)),
        close: () => {
          closed = true
        },
      },
    })
    return { socket, received, isClosed: () => closed }
  }

  test('a malformed frame closes that connection and nobody else notices', async () => {
    const topic = uniqueTopic('bad')
    await createTopic(topic, 1)
    const producer = b.kafka.producer()
    await producer.connect()
    cleanup.push(() => producer.disconnect())
    await producer.send({ topic, messages: [{ value: 'before' }] })

    const raw = await rawConnection()
    // A Metadata v1 request that claims 1,000 topics but carries none.
    const frame = new Uint8Array([
      0, 0, 0, 18, 0, 3, 0, 1, 0, 0, 0, 7, 0, 2, 0x68, 0x69, 0, 0, 0x03, 0xe8, 0, 0,
    ])
    raw.socket.write(frame)
    await until(raw.isClosed, 5_000, 'the broker to close the malformed connection')

    await producer.send({ topic, messages: [{ value: 'after' }] })
    const admin = b.kafka.admin()
    await admin.connect()
    cleanup.push(() => admin.disconnect())
    expect((await admin.fetchTopicOffsets(topic))[0]!.high).toBe('2')
    if (!b.external) {
      expect(
        b.logs.some(
          (l) => l.msg === 'closing connection' && String(l.reason).includes('malformed'),
        ),
      ).toBe(true)
    }
  })

  test('an oversized frame closes the connection', async () => {
    const raw = await rawConnection()
    raw.socket.write(new Uint8Array([0x7f, 0xff, 0xff, 0xff, 0, 18, 0, 0]))
    await until(raw.isClosed, 5_000, 'the broker to close the connection')
  })

  test('an unsupported ApiVersions version gets UNSUPPORTED_VERSION and the supported ranges', async () => {
    const raw = await rawConnection()
    // ApiVersions v99, correlation id 42, client id "t".
    raw.socket.write(new Uint8Array([0, 0, 0, 11, 0, 18, 0, 99, 0, 0, 0, 42, 0, 1, 0x74]))
    await until(() => raw.received.reduce((n, c) => n + c.byteLength, 0) >= 10, 5_000, 'a response')
    const bytes = Buffer.concat(raw.received)
    expect(bytes.readInt32BE(4)).toBe(42)
    expect(bytes.readInt16BE(8)).toBe(35)
    raw.socket.end()
  })
})
