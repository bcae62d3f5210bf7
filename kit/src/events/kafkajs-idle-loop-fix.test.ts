/**
 * The kafkajs idle-loop fix against the devstack broker: an idle connection stops
 * waking up every millisecond, and producing and consuming still work after it.
 */
import { afterAll, expect, test } from 'bun:test'
import { startKafkaBroker } from '@civildiy/devstack'
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js'
import { silentLogger } from '../testing/index.ts'
import { kafkaClient } from './kafka.ts'
import { fixKafkajsIdleLoop } from './kafkajs-idle-loop-fix.ts'

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

test('an idle kafkajs connection no longer checks its queue every millisecond; produce and consume still work', async () => {
  expect(fixKafkajsIdleLoop()).toBe(true)
  const proto = RequestQueue!.prototype as { checkPendingRequests: (...a: unknown[]) => unknown }
  const original = proto.checkPendingRequests
  let checks = 0
  proto.checkPendingRequests = function (this: unknown, ...a: unknown[]) {
    checks++
    return original.apply(this, a)
  }
  cleanup.push(async () => {
    proto.checkPendingRequests = original
  })
  const broker = await startKafkaBroker({ port: 0, log: () => {} })
  cleanup.push(() => broker.stop())
  const kafka = kafkaClient({
    brokers: broker.brokers,
    clientId: 'idle-test',
    logger: silentLogger(),
  })
  const producer = kafka.producer({ allowAutoTopicCreation: true })
  await producer.connect()
  cleanup.push(() => producer.disconnect())
  await producer.send({ topic: 'idle', messages: [{ key: 'k', value: 'before' }] })
  checks = 0
  await Bun.sleep(500)
  // Unfixed, each connection re-checks about every millisecond: hundreds in 500 ms.
  expect(checks).toBeLessThan(20)

  await producer.send({ topic: 'idle', messages: [{ key: 'k', value: 'after' }] })
  const consumer = kafka.consumer({ groupId: 'idle-test', maxWaitTimeInMs: 100 })
  await consumer.connect()
  cleanup.push(() => consumer.disconnect())
  await consumer.subscribe({ topics: ['idle'], fromBeginning: true })
  const seen: string[] = []
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) })
  const deadline = Date.now() + 10_000
  while (seen.length < 2 && Date.now() < deadline) await Bun.sleep(20)
  expect(seen).toEqual(['before', 'after'])
})
