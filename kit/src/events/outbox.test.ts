/**
 * The outbox relay against the devstack Kafka broker and PGlite: events written
 * while Kafka is down stay pending and all arrive, in order, once it is back.
 */

import { afterAll, expect, test } from 'bun:test'
import { startKafkaBroker } from '@civildiy/devstack'
import { Type as t } from '@sinclair/typebox'
import { connectPostgres, migrate } from '../postgres.ts'
import { createTestDatabase, silentLogger } from '../testing/index.ts'
import { readTopic } from '../testing/raw-kafka.ts'
import { createEvent, defineEvent, parseEvent } from './envelope.ts'
import { createEventPublisher } from './kafka.ts'
import { enqueueEvents, OUTBOX_MIGRATIONS, startOutboxRelay } from './outbox.ts'

const Ping = defineEvent('test.ping', 1, t.Object({ n: t.Integer() }))
const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

test('events enqueued while Kafka is down are published, in order, when it returns', async () => {
  const logger = silentLogger()
  const tdb = await createTestDatabase('pglite')
  cleanup.push(() => tdb.drop())
  const db = await connectPostgres({ url: tdb.url, logger })
  cleanup.push(() => db.close())
  await migrate(db.sql, 'outbox-test', OUTBOX_MIGRATIONS)

  let broker = await startKafkaBroker({ port: 0, log: () => {} })
  const port = broker.port
  const publisher = await createEventPublisher({
    brokers: broker.brokers,
    clientId: 'outbox-test',
    logger: logger,
  })
  cleanup.push(() => publisher.close())
  const relay = startOutboxRelay({
    sql: db.sql,
    publisher: () => publisher,
    logger,
    pollIntervalMs: 50,
  })
  cleanup.push(() => relay.stop())

  await broker.stop()
  const ids: string[] = []
  for (let n = 0; n < 5; n++) {
    const event = createEvent(Ping, { source: '/test', data: { n } })
    ids.push(event.id)
    // Writes must not wait for a relay stuck on the absent broker: it stays down until after this loop.
    await db.sql.begin((tx) => enqueueEvents(tx, [{ topic: 'outbox-test', key: 'k', event }]))
    relay.kick()
  }
  await Bun.sleep(300)
  expect(await relay.pending()).toBe(5)
  // The oldest waiting event was written at least the 300 ms slept ago.
  expect(await relay.oldestPendingAgeSec()).toBeGreaterThanOrEqual(0.3)

  broker = await startKafkaBroker({ port, log: () => {} })
  cleanup.push(() => broker.stop())
  const deadline = Date.now() + 20_000
  while ((await relay.pending()) > 0 && Date.now() < deadline) await Bun.sleep(50)
  expect(await relay.pending()).toBe(0)
  expect(await relay.oldestPendingAgeSec()).toBe(0)

  // A separate client: after a broker restart, a consumer created from the producer's
  // kafkajs instance received nothing here, while one from a fresh instance does.
  const received = (await readTopic(broker.brokers, 'outbox-test', 5, 20_000)).map(
    (m) => parseEvent(m.value).id,
  )
  // At-least-once: a retry after a lost acknowledgement may repeat an event, never reorder or drop one.
  expect([...new Set(received)]).toEqual(ids)
}, 40_000)
