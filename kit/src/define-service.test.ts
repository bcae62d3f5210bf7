/** defineService: config, a declared store with its check and close, and config errors. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type BrokerLogEntry, startKafkaBroker, startPglite } from '@civildiy/devstack'
import { Type as t } from '@sinclair/typebox'
import { BaseConfig, ConfigError, Port, PostgresConfig } from './config.ts'
import { defineService } from './define-service.ts'
import { createEvent, defineEvent } from './events/envelope.ts'
import { enqueueEvents, OUTBOX_MIGRATIONS } from './events/outbox.ts'
import { baseApp } from './service.ts'
import { readTopic } from './testing/raw-kafka.ts'

const Config = t.Composite([BaseConfig, t.Object({ PORT: Port(0), ...PostgresConfig })])
let pg: Awaited<ReturnType<typeof startPglite>>
beforeAll(async () => {
  pg = await startPglite({ port: 0 })
})
afterAll(() => pg?.stop())

test('a declared database is migrated, checked for readiness and closed on stop', async () => {
  const closed: string[] = []
  const service = await defineService(
    {
      name: 'demo',
      config: Config,
      async build(ctx) {
        const sql = await ctx.postgres([{ id: 'demo-1', sql: 'create table demo (id int)' }])
        ctx.use(
          { name: 'extra', close: async () => void closed.push('extra') },
          {
            name: 'extra',
            check: async () => ({ fine: true }),
          },
        )
        return baseApp({ name: 'demo', ...ctx.app }).get('/count', async () => {
          const [row] = await sql<{ n: number }[]>`select count(*)::int as n from demo`
          return row
        })
      },
    },
    {
      env: { DATABASE_URL: pg.url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' },
      handleSignals: false,
    },
  )
  const ready = (await (await fetch(`${service.url}/health/ready`)).json()) as {
    status: string
    checks: Record<string, unknown>
  }
  expect(ready.status).toBe('pass')
  expect(Object.keys(ready.checks).sort()).toEqual(['extra', 'postgres'])
  expect(await (await fetch(`${service.url}/count`)).json()).toEqual({ n: 0 })
  await service.stop()
  expect(closed).toEqual(['extra'])
})

test('a configuration error is a ConfigError naming the variable (exit 78 when run as a service)', async () => {
  const err = await defineService(
    {
      name: 'demo',
      config: Config,
      build: async () => baseApp({ name: 'x', logger: undefined as never, production: false }),
    },
    { env: {}, handleSignals: false },
  ).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(ConfigError)
  expect((err as ConfigError).message).toContain('DATABASE_URL is missing')
})

test('a service on a SASL broker: a wrong password publishes nothing, the right one publishes what waited in the outbox', async () => {
  const logs: BrokerLogEntry[] = []
  const broker = await startKafkaBroker({
    port: 0,
    log: (e) => logs.push(e),
    sasl: {
      users: { demo: 'demo-secret' },
      acls: { demo: { write: ['demo.events'], read: ['demo.events'] } },
    },
  })
  const Ping = defineEvent('demo.pinged', 1, t.Object({ n: t.Integer() }))
  const run = (password: string, n: number) =>
    defineService(
      {
        name: 'demo',
        config: Config,
        async build(ctx) {
          const sql = await ctx.postgres(OUTBOX_MIGRATIONS)
          const event = createEvent(Ping, { source: '/demo', data: { n } })
          await sql.begin((tx) => enqueueEvents(tx, [{ topic: 'demo.events', key: 'k', event }]))
          ctx.events({ sql })
          return baseApp({ name: 'demo', ...ctx.app })
        },
      },
      {
        env: {
          DATABASE_URL: pg.url,
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'silent',
          KAFKA_BROKERS: broker.brokers[0],
          KAFKA_SASL_MECHANISM: 'scram-sha-256',
          KAFKA_SASL_USERNAME: 'demo',
          KAFKA_SASL_PASSWORD: password,
        },
        handleSignals: false,
      },
    )
  try {
    const wrong = await run('guess', 1)
    const deadline = Date.now() + 10_000
    while (!logs.some((l) => l.msg === 'SASL authentication failed') && Date.now() < deadline)
      await Bun.sleep(50)
    await wrong.stop()
    expect(logs.some((l) => l.msg === 'SASL authentication failed')).toBe(true)
    const right = await run('demo-secret', 2)
    const read = await readTopic(broker.brokers, 'demo.events', 2, 10_000, {
      sasl: { mechanism: 'scram-sha-256', username: 'demo', password: 'demo-secret' },
    })
    await right.stop()
    const sent = read.map((m) => (JSON.parse(String(m.value)) as { data: { n: number } }).data.n)
    expect(sent.sort()).toEqual([1, 2])
  } finally {
    await broker.stop()
  }
})
