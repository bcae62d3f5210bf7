/**
 * The service runner against the devstack Consul, and readiness against a
 * Postgres (PGlite) that is stopped and started again.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startConsul, startPglite } from '@civildiy/devstack'
import { consulClient, registerWithConsul } from './consul.ts'
import { connectPostgres } from './postgres.ts'
import { baseApp, createService } from './service.ts'
import { silentLogger } from './testing/index.ts'

const cleanup: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {})
})

const baseConfig = {
  NODE_ENV: 'test' as const,
  HOST: '127.0.0.1',
  PORT: 0,
  ADVERTISE_ADDRESS: '127.0.0.1',
  LOG_LEVEL: 'silent' as const,
  SHUTDOWN_TIMEOUT_MS: 1_000,
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await Bun.sleep(25)
  }
}

test('a service registers with Consul, becomes passing, and deregisters on stop', async () => {
  const consulServer = await startConsul({ port: 0 })
  cleanup.push(() => consulServer.stop())
  const consul = consulClient(consulServer.url)
  const logger = silentLogger()
  const app = baseApp({ name: 'sample', logger, production: true })
  const svc = await createService({
    name: 'sample',
    app,
    config: { ...baseConfig, CONSUL_HTTP_ADDR: consulServer.url },
    logger,
    handleSignals: false,
  })
  cleanup.push(() => svc.stop())
  expect(svc.serviceId).toMatch(/^sample-/)
  await until(
    async () =>
      ((await consul.health.service({ service: 'sample', passing: true })) as unknown[]).length ===
      1,
  )
  const [entry] = (await consul.health.service('sample')) as {
    Service: { Address: string; Port: number }
  }[]
  expect(entry!.Service).toMatchObject({ Address: '127.0.0.1', Port: svc.port })
  await svc.stop()
  expect(Object.keys((await consul.agent.service.list()) as object)).not.toContain(svc.serviceId)
})

test('a registration the agent forgot (agent restart) is restored', async () => {
  const consulServer = await startConsul({ port: 0 })
  cleanup.push(() => consulServer.stop())
  const consul = consulClient(consulServer.url)
  const reg = await registerWithConsul(
    consul,
    { name: 'forgetful', address: '127.0.0.1', port: 1, reconcileIntervalMs: 100 },
    silentLogger(),
  )
  cleanup.push(() => reg.deregister())
  await consul.agent.service.deregister(reg.id)
  await until(async () => reg.id in ((await consul.agent.service.list()) as object), 5_000)
})

test('readiness fails while Postgres is down and recovers when it returns', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ready-pg-'))
  cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }))
  let pg = await startPglite({ port: 0, dataDir })
  const port = pg.port
  const logger = silentLogger()
  const db = await connectPostgres({ url: pg.url, logger })
  cleanup.push(() => db.close())
  const app = baseApp({
    name: 'ready',
    logger,
    production: true,
    checks: () => [
      { name: 'postgres', timeoutMs: 500, check: async () => void (await db.sql`select 1`) },
    ],
  })
  const ready = async () => {
    const res = await app.handle(new Request('http://localhost/health/ready'))
    return {
      status: res.status,
      body: (await res.json()) as { checks: { postgres: { status: string; durationMs: number } } },
    }
  }
  const up = await ready()
  expect(up.status).toBe(200)
  expect(typeof up.body.checks.postgres.durationMs).toBe('number')
  await pg.stop()
  const down = await ready()
  expect(down.status).toBe(503)
  expect(down.body.checks.postgres.status).toBe('fail')
  pg = await startPglite({ port, dataDir })
  cleanup.push(() => pg.stop())
  await until(async () => (await ready()).status === 200, 15_000)
}, 40_000)
