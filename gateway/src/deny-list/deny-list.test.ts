/**
 * The deny list through the gateway: a Bun upstream registered in the devstack
 * Consul, a stand-in for auth's `/internal/denied-users` on a real socket, real
 * tokens. A listed user's valid token becomes 401 within a few polls, others pass,
 * lifting restores access, and while the list cannot be fetched the last one holds.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient, type RunningService, registerWithConsul } from '@civildiy/kit'
import {
  createTestIssuer,
  serveForTest,
  silentLogger,
  type TestIssuer,
} from '@civildiy/kit/testing'
import { createGateway } from '../app.ts'
import { type InstanceDirectory, watchInstances } from '../discovery/instance-directory.ts'
import { createRetryBudget } from '../proxy/retry-budget.ts'
import { createSlidingWindowLimiter } from '../rate-limit/sliding-window.ts'
import { compileRoutes } from '../routes/route-table.ts'
import { createBalancer } from '../upstream/balancer.ts'
import { type DenyList, watchDenyList } from './deny-list.ts'

let consulServer: ConsulServer
let gateway: RunningService
let directory: InstanceDirectory
let issuer: TestIssuer
let denied: DenyList
let upstream: ReturnType<typeof Bun.serve>
let auth: ReturnType<typeof Bun.serve>
let listed: string[] = []
let authBroken = false

beforeAll(async () => {
  consulServer = await startConsul({ port: 0 })
  const consul = consulClient(consulServer.url)
  upstream = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => Response.json({ ok: true }) })
  auth = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: () =>
      authBroken ? new Response('down', { status: 503 }) : Response.json({ users: listed }),
  })
  await registerWithConsul(
    consul,
    { name: 'svc', address: '127.0.0.1', port: upstream.port!, interval: '100ms' },
    silentLogger(),
  )
  const table = compileRoutes({ routes: [{ prefix: '/api', service: 'svc', auth: 'required' }] })
  directory = watchInstances(consul, table.services, silentLogger(), { waitSec: 5 })
  const deadline = Date.now() + 5_000
  while (directory.instances('svc').length === 0 && Date.now() < deadline) await Bun.sleep(25)
  issuer = await createTestIssuer()
  denied = watchDenyList({
    url: async () => `http://127.0.0.1:${auth.port}/internal/denied-users`,
    intervalMs: 50,
    logger: silentLogger(),
  })
  gateway = await serveForTest(
    'gateway',
    createGateway({
      table,
      directory,
      balancer: createBalancer('round-robin'),
      budget: createRetryBudget(),
      verify: issuer.verify,
      limiter: createSlidingWindowLimiter(),
      logger: silentLogger(),
      production: true,
      denied,
    }),
  )
})

afterAll(async () => {
  denied?.close()
  await gateway?.stop()
  directory?.close()
  upstream?.stop(true)
  auth?.stop(true)
  await consulServer?.stop()
})

const statusFor = async (userId: string) =>
  (
    await fetch(`${gateway.url}/api/x`, {
      headers: { authorization: `Bearer ${await issuer.tokenFor(userId)}` },
    })
  ).status

/** Polls until `userId` gets `status` (10 s at most); the statuses seen on the way. */
async function eventually(userId: string, status: number): Promise<number> {
  const deadline = Date.now() + 10_000
  let last = 0
  while (Date.now() < deadline) {
    last = await statusFor(userId)
    if (last === status) return last
    await Bun.sleep(25)
  }
  return last
}

test('a listed user is refused with 401 while the list holds them; others pass; lifting restores', async () => {
  const suspended = randomUUID()
  const other = randomUUID()
  expect(await statusFor(suspended)).toBe(200)
  listed = [suspended]
  expect(await eventually(suspended, 401)).toBe(401)
  const res = await fetch(`${gateway.url}/api/x`, {
    headers: { authorization: `Bearer ${await issuer.tokenFor(suspended)}` },
  })
  expect(res.headers.get('www-authenticate')).toContain('invalid_token')
  expect(((await res.json()) as { detail: string }).detail).toBe('This account is suspended')
  expect(await statusFor(other)).toBe(200)
  listed = []
  expect(await eventually(suspended, 200)).toBe(200)
  expect(denied.status().fetchedAt).not.toBeNull()
})

test('while the list cannot be fetched, the last one holds', async () => {
  const suspended = randomUUID()
  listed = [suspended]
  expect(await eventually(suspended, 401)).toBe(401)
  authBroken = true
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && !denied.status().failing) await Bun.sleep(25)
  expect(denied.status().failing).toBe(true)
  expect(await statusFor(suspended)).toBe(401)
  expect(denied.has(suspended)).toBe(true)
  authBroken = false
  listed = []
  expect(await eventually(suspended, 200)).toBe(200)
})
