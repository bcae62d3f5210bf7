/**
 * The event consumer against the devstack Kafka broker with kafkajs: applying a
 * batch several events at a time keeps per-key order, handles every event once,
 * and commits up to the end.
 */
import { afterAll, expect, test } from 'bun:test'
import { Type as t } from '@sinclair/typebox'
import { kafkaForTest, silentLogger } from '../testing/index.ts'
import { createEvent, defineEvent } from './envelope.ts'
import { createEventPublisher, type EventConsumer, startEventConsumer } from './kafka.ts'

const Step = defineEvent('test.step', 1, t.Object({ key: t.String(), n: t.Integer() }))
const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`)
    await Bun.sleep(20)
  }
}

test('with concurrency, events overlap across keys, stay in order per key, and are committed to the end', async () => {
  const logger = silentLogger()
  const broker = await kafkaForTest()
  cleanup.push(() => broker.stop())
  const steps = broker.name('steps')
  const publisher = await createEventPublisher({
    brokers: broker.brokers,
    clientId: 'kafka-test',
    logger: logger,
  })
  cleanup.push(() => publisher.close())
  const keys = Array.from({ length: 6 }, (_, i) => `key-${i}`)
  const perKey = 40
  const seen = new Map<string, number[]>()
  let running = 0
  let peak = 0
  let consumer: EventConsumer | null = null
  consumer = await startEventConsumer({
    brokers: broker.brokers,
    clientId: 'kafka-test-consumer',
    groupId: broker.name('concurrent'),
    topics: [steps],
    logger,
    concurrency: 8,
    orderingKey: (e) => (e.data as { key: string }).key,
    handlers: {
      [Step.type]: async (e) => {
        const { key, n } = e.data as { key: string; n: number }
        running++
        peak = Math.max(peak, running)
        await Bun.sleep(n % 3)
        seen.set(key, [...(seen.get(key) ?? []), n])
        running--
      },
    },
  })
  cleanup.push(() => consumer.close())
  // All on one message key, so they share a partition and arrive in fetched batches:
  // the ordering key, not the partition, is what keeps each key's steps in order.
  for (let n = 0; n < perKey; n++)
    await publisher.publish(
      keys.map((key) => ({
        topic: steps,
        key: 'one-partition',
        event: createEvent(Step, { source: '/test', data: { key, n } }),
      })),
    )
  await until(() => keys.every((k) => (seen.get(k)?.length ?? 0) >= perKey))
  for (const k of keys) expect(seen.get(k)).toEqual(Array.from({ length: perKey }, (_, n) => n))
  expect(peak).toBeGreaterThan(1)
  expect(peak).toBeLessThanOrEqual(8)
  await until(async () => (await consumer.status()).lag.every((p) => p.lag === 0))
})
