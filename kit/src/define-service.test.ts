/** defineService: config, a declared store with its check and close, and config errors. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startPglite } from '@civildiy/devstack'
import { Type as t } from '@sinclair/typebox'
import { BaseConfig, ConfigError, Port, PostgresConfig } from './config.ts'
import { defineService } from './define-service.ts'
import { baseApp } from './service.ts'

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
