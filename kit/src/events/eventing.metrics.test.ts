/**
 * The consumer-lag gauge against a real (devstack) broker: it rises while the
 * consumer is held back and falls to 0 once it catches up; handled events and
 * the outbox backlog are counted.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Type as t } from '@sinclair/typebox'
import { createMetrics } from '../telemetry/metrics.ts'
import { kafkaForTest, silentLogger, type TestKafka } from '../testing/index.ts'
import { createEvent, defineEvent } from './envelope.ts'
import { startEventing } from './eventing.ts'
import { createEventPublisher } from './kafka.ts'

const Ping = defineEvent('test.ping', 1, t.Object({ n: t.Integer() }))
let broker: TestKafka
let topic: string
beforeAll(async () => {
  broker = await kafkaForTest()
  topic = broker.name('lag-test')
})
afterAll(() => broker?.stop())

const lagOf = async (metrics: ReturnType<typeof createMetrics>) => {
  const text = await metrics.registry.metrics()
  return [...text.matchAll(/^messaging_kafka_consumer_lag\{[^}]*\} (\d+)$/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  )
}

test('the lag gauge rises while the consumer is held back and falls once it catches up', async () => {
  const metrics = createMetrics('lag-test')
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  let handled = 0
  const events = startEventing({
    service: 'lag-test',
    brokers: broker.brokers,
    logger: silentLogger(),
    metrics,
    lagIntervalMs: 100,
    retryMs: 100,
    consumer: {
      groupId: topic,
      topics: [topic],
      handlers: {
        [Ping.type]: async () => {
          await gate
          handled++
        },
      },
    },
  })
  const publisher = await createEventPublisher({
    brokers: broker.brokers,
    clientId: 'lag-test-publisher',
    logger: silentLogger(),
  })
  try {
    await publisher.publish(
      Array.from({ length: 20 }, (_, n) => ({
        topic,
        key: `k${n % 4}`,
        event: createEvent(Ping, { source: '/t', data: { n } }),
      })),
    )
    const deadline = Date.now() + 20_000
    let held = await lagOf(metrics)
    while (held === 0 && Date.now() < deadline) {
      await Bun.sleep(50)
      held = await lagOf(metrics)
    }
    expect(held).toBeGreaterThan(0)
    release()
    let after = await lagOf(metrics)
    while (after > 0 && Date.now() < deadline) {
      await Bun.sleep(50)
      after = await lagOf(metrics)
    }
    expect(after).toBe(0)
    expect(handled).toBe(20)
    expect(await metrics.registry.metrics()).toMatch(
      /messaging_process_duration_seconds_count\{[^}]*cloudevents_event_type="test.ping",outcome="handled"\} 20/,
    )
  } finally {
    release()
    await publisher.close()
    for (const r of events.resources.toReversed()) await r.close()
  }
}, 40_000)
