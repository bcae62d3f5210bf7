/**
 * Behaviour specific to the embedded broker (persistence, retention, advertised
 * address, error replies): things a real Kafka is configured for, not tested on.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rawKafka } from '@civildiy/kit/testing'
import type { Kafka } from 'kafkajs'
import { type KafkaBroker, type KafkaBrokerOptions, startKafkaBroker } from './broker.ts'
import { until } from './testing/broker-under-test.ts'

const running: KafkaBroker[] = []
const dirs: string[] = []
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

async function start(options: KafkaBrokerOptions = {}) {
  const broker = await startKafkaBroker({ port: 0, log: () => {}, ...options })
  running.push(broker)
  return { broker, kafka: rawKafka(broker.brokers, 'broker-test') }
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kafka-stand-in-'))
  dirs.push(d)
  return d
}

async function consumeAll(
  kafka: Kafka,
  groupId: string,
  topic: string,
  expected: number,
): Promise<string[]> {
  const got: string[] = []
  const c = kafka.consumer({ groupId, maxWaitTimeInMs: 100, heartbeatInterval: 100 })
  await c.connect()
  await c.subscribe({ topic, fromBeginning: true })
  await c.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) })
  await until(() => got.length >= expected, 10_000, `${expected} messages`)
  await Bun.sleep(150)
  await c.disconnect()
  return got
}

describe('embedded broker', () => {
  test('logs and committed offsets survive a restart with a data directory', async () => {
    const dataDir = tempDir()
    const first = await start({ dataDir, segmentBytes: 4096 })
    const producer = first.kafka.producer()
    await producer.connect()
    for (let i = 0; i < 20; i++)
      await producer.send({ topic: 'durable', messages: [{ value: `m${i}`, partition: 0 }] })
    await producer.disconnect()
    expect(await consumeAll(first.kafka, 'readers', 'durable', 20)).toHaveLength(20)
    await first.broker.stop()

    const second = await start({ dataDir })
    const admin = second.kafka.admin()
    await admin.connect()
    expect(await admin.listTopics()).toContain('durable')
    const offsets = await admin.fetchTopicOffsets('durable')
    expect(offsets.find((o) => o.partition === 0)!.high).toBe('20')
    const [committed] = await admin.fetchOffsets({ groupId: 'readers', topics: ['durable'] })
    expect(committed!.partitions.find((p) => p.partition === 0)!.offset).toBe('20')
    await admin.disconnect()
    // A new group reads the whole log back from disk.
    expect(await consumeAll(second.kafka, 'fresh', 'durable', 20)).toEqual(
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    )
  })

  test('retention drops the oldest batches and moves the log start offset', async () => {
    const { kafka } = await start({ retention: { maxRecords: 100 } })
    const producer = kafka.producer()
    await producer.connect()
    for (let i = 0; i < 30; i++) {
      await producer.send({
        topic: 'bounded',
        messages: Array.from({ length: 10 }, (_, j) => ({
          value: String(i * 10 + j),
          partition: 0,
        })),
      })
    }
    await producer.disconnect()
    const admin = kafka.admin()
    await admin.connect()
    const p0 = (await admin.fetchTopicOffsets('bounded')).find((o) => o.partition === 0)!
    await admin.disconnect()
    expect(p0.high).toBe('300')
    expect(Number(p0.low)).toBe(200)
    const got = await consumeAll(kafka, 'late', 'bounded', 100)
    expect(got[0]).toBe('200')
    expect(got).toHaveLength(100)
  })

  test('Metadata advertises the configured host, and a wildcard listener advertises loopback', async () => {
    const named = await start({ advertisedHost: 'localhost' })
    expect(named.broker.brokers[0]).toBe(`localhost:${named.broker.port}`)
    const admin = named.kafka.admin()
    await admin.connect()
    const cluster = await admin.describeCluster()
    await admin.disconnect()
    expect(cluster.brokers).toEqual([{ nodeId: 0, host: 'localhost', port: named.broker.port }])

    const wildcard = await start({ host: '0.0.0.0' })
    expect(wildcard.broker.brokers[0]).toBe(`127.0.0.1:${wildcard.broker.port}`)
  })

  /** A raw connection that records what arrives and whether the broker closed it. */
  async function raw(port: number) {
    const received: Uint8Array[] = []
    let closed = false
    const socket = await Bun.connect({
      hostname: '127.0.0.1',
      port,
      socket: {
        data: (_s, d) => void received.push(new Uint8Array(d)),
        close: () => {
          closed = true
        },
      },
    })
    return { socket, bytes: () => Buffer.concat(received), closed: () => closed }
  }

  test('an unknown API or version closes that connection, as Kafka does; ApiVersions answers', async () => {
    const { broker, kafka } = await start()
    // API key 999 v0, correlation 7.
    const unknownKey = await raw(broker.port)
    unknownKey.socket.write(new Uint8Array([0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 7, 0xff, 0xff]))
    await until(unknownKey.closed, 5_000, 'the connection closed')
    expect(unknownKey.bytes().byteLength).toBe(0)
    // Metadata (key 3) v99.
    const unknownVersion = await raw(broker.port)
    unknownVersion.socket.write(new Uint8Array([0, 0, 0, 10, 0, 3, 0, 99, 0, 0, 0, 8, 0xff, 0xff]))
    await until(unknownVersion.closed, 5_000, 'the connection closed')
    // ApiVersions v0 still answers, and other clients never noticed.
    const probe = await raw(broker.port)
    probe.socket.write(new Uint8Array([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 9, 0xff, 0xff]))
    await until(() => probe.bytes().byteLength > 8, 5_000, 'an ApiVersions answer')
    expect(probe.bytes().readInt32BE(4)).toBe(9)
    expect(probe.bytes().readInt16BE(8)).toBe(0)
    probe.socket.end()
    const admin = kafka.admin()
    await admin.connect()
    expect(await admin.listTopics()).toBeArray()
    await admin.disconnect()
  })

  test('Metadata v0: an empty topic list means every topic, answered in the v0 layout', async () => {
    const { broker, kafka } = await start()
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: 'v0-topic', numPartitions: 2 }] })
    await admin.disconnect()
    const conn = await raw(broker.port)
    // Metadata v0, correlation 5, client id null, topics: [] (int32 0).
    conn.socket.write(new Uint8Array([0, 0, 0, 14, 0, 3, 0, 0, 0, 0, 0, 5, 0xff, 0xff, 0, 0, 0, 0]))
    await until(
      () =>
        conn.bytes().byteLength >= 4 && conn.bytes().byteLength >= 4 + conn.bytes().readInt32BE(0),
      5_000,
      'an answer',
    )
    const b = conn.bytes()
    let o = 8
    expect(b.readInt32BE(o)).toBe(1) // one broker: node id, host, port (no rack in v0)
    o += 4
    expect(b.readInt32BE(o)).toBe(0)
    o += 4
    const hostLength = b.readInt16BE(o)
    o += 2 + hostLength
    expect(b.readInt32BE(o)).toBe(broker.port)
    o += 4
    expect(b.readInt32BE(o)).toBe(1) // topics (no controller id in v0)
    o += 4
    expect(b.readInt16BE(o)).toBe(0)
    const nameLength = b.readInt16BE(o + 2)
    expect(b.subarray(o + 4, o + 4 + nameLength).toString()).toBe('v0-topic')
    o += 4 + nameLength
    expect(b.readInt32BE(o)).toBe(2) // partitions, right after the name (no is_internal in v0)
    conn.socket.end()
  })

  test('auto-creation can be turned off', async () => {
    const { kafka } = await start({ autoCreateTopics: false })
    const producer = kafka.producer({ retry: { retries: 0 } })
    await producer.connect()
    await expect(producer.send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toThrow()
    await producer.disconnect()
  })
})
