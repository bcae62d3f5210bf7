/**
 * The Kafka inspector against the devstack broker with kafkajs: it sees topics
 * and their watermarks, a consumer group's lag as the group falls behind and
 * catches up, and the latest messages of a dead-letter topic with their headers,
 * without leaving its own group behind.
 */
import { afterAll, expect, test } from 'bun:test'
import { Type as t } from '@sinclair/typebox'
import { kafkaForTest, silentLogger } from '../testing/index.ts'
import { createEvent, defineEvent } from './envelope.ts'
import { createEventPublisher, startEventConsumer } from './kafka.ts'
import { openKafkaInspector } from './kafka-inspector.ts'

const Tick = defineEvent('test.tick', 1, t.Object({ n: t.Integer() }))
const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(v)}`)
    await Bun.sleep(50)
  }
}

test('topics, a group’s lag, and a dead-letter topic’s latest messages', async () => {
  const logger = silentLogger()
  const broker = await kafkaForTest()
  cleanup.push(() => broker.stop())
  const ticks = broker.name('ticks')
  const tickers = broker.name('tickers')
  const publisher = await createEventPublisher({ brokers: broker.brokers, clientId: 'p', logger })
  cleanup.push(() => publisher.close())
  const inspector = openKafkaInspector({ brokers: broker.brokers, clientId: 'inspector', logger })
  cleanup.push(() => inspector.close())
  const send = (n: number) =>
    publisher.publish([
      { topic: ticks, key: `k${n}`, event: createEvent(Tick, { source: 'test', data: { n } }) },
    ])
  for (let n = 0; n < 5; n++) await send(n)

  const topics = await until(
    () => inspector.topics(),
    (ts) => ts.some((x) => x.name === ticks && x.messages === 5),
  )
  expect(topics.find((x) => x.name === ticks)!.partitions.length).toBeGreaterThan(0)

  // Every third event fails for good: it is dead-lettered with its reason.
  const consumer = await startEventConsumer({
    brokers: broker.brokers,
    clientId: 'c',
    groupId: tickers,
    topics: [ticks],
    logger,
    maxAttempts: 1,
    handlers: {
      [Tick.type]: async (e) => {
        if ((e.data as { n: number }).n % 3 === 0)
          throw new Error(`tick ${(e.data as { n: number }).n} refused`)
      },
    },
  })
  cleanup.push(() => consumer.close())
  const caughtUp = await until(
    async () => {
      const ts = await inspector.topics()
      return { ts, groups: await inspector.groups(ts) }
    },
    ({ groups }) => {
      const g = groups.find((x) => x.groupId === tickers)
      return Boolean(g?.lag.length) && g!.lag.every((p) => p.lag === 0)
    },
  )
  const group = caughtUp.groups.find((g) => g.groupId === tickers)!
  expect(group.lag.reduce((n, p) => n + p.committed, 0)).toBe(5)

  const dlq = (
    await until(
      () => inspector.topics(),
      (ts) => ts.some((x) => x.name === `${tickers}.dlq`),
    )
  ).find((x) => x.name === `${tickers}.dlq`)!
  expect(dlq.messages).toBe(2)
  const dead = await inspector.tail(dlq, 10)
  expect(dead.map((m) => m.headers['x-dlq-reason']).sort()).toEqual([
    'tick 0 refused',
    'tick 3 refused',
  ])
  // Its throwaway group is gone again.
  const after = await inspector.groups(await inspector.topics())
  expect(after.map((g) => g.groupId).filter((id) => id.startsWith('inspector-'))).toEqual([])
})
