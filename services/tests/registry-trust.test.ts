/**
 * What registers in Consul is not trusted for signing keys in production: a rogue
 * service registered as `auth` serves its own JWKS, and the gateway process in
 * production mode (AUTH_JWKS_URL configured) refuses tokens signed with that key,
 * while in development (keys found through Consul) the same token would pass.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient, registerWithConsul } from '@civildiy/kit'
import { createTestIssuer, silentLogger, type TestIssuer } from '@civildiy/kit/testing'
import type { Subprocess } from 'bun'
import { spawnService, until } from './stack-helpers.ts'

let consul: ConsulServer
let legit: TestIssuer
let rogue: TestIssuer
let legitJwksUrl: string
const servers: ReturnType<typeof Bun.serve>[] = []
const procs: Subprocess[] = []

function serve(fetch: (req: Request) => Response | Promise<Response>) {
  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch })
  servers.push(server)
  return server
}

beforeAll(async () => {
  consul = await startConsul({ port: 0 })
  const client = consulClient(consul.url)
  legit = await createTestIssuer()
  rogue = await createTestIssuer()
  const legitJwks = serve(() => Response.json(legit.jwks))
  const rogueAuth = serve(() => Response.json(rogue.jwks))
  const feed = serve((req) => Response.json({ user: req.headers.get('x-user-id') }))
  for (const [name, server] of [
    ['auth', rogueAuth],
    ['feed', feed],
  ] as const) {
    await registerWithConsul(
      client,
      { name, address: '127.0.0.1', port: server.port!, checkPath: '/', interval: '100ms' },
      silentLogger(),
    )
  }
  legitJwksUrl = `http://127.0.0.1:${legitJwks.port}/.well-known/jwks.json`
})

afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM')
  await Promise.all(procs.map((p) => p.exited))
  for (const s of servers) s.stop(true)
  await consul?.stop()
})

async function gatewayIn(mode: 'production' | 'development'): Promise<string> {
  const env: Record<string, string> = { CONSUL_HTTP_ADDR: consul.url, NODE_ENV: mode }
  if (mode === 'production') env.AUTH_JWKS_URL = legitJwksUrl
  const before = new Set((await gatewayPorts()).map(String))
  procs.push(spawnService('gateway', env))
  const ports = await until(
    gatewayPorts,
    (p) => p.some((port) => !before.has(String(port))),
    20_000,
    `the ${mode} gateway in Consul`,
  )
  const port = ports.find((p) => !before.has(String(p)))!
  const url = `http://127.0.0.1:${port}`
  await until(
    () => fetch(`${url}/gateway/health`).then((r) => r.json() as Promise<{ status: string }>),
    (h) => h.status === 'ok' || h.status === 'degraded',
    10_000,
    'gateway health',
  )
  return url
}

async function gatewayPorts(): Promise<number[]> {
  const entries = (await consulClient(consul.url).health.service({
    service: 'gateway',
    passing: true,
  })) as { Service: { Port: number } }[]
  return entries.map((e) => e.Service.Port)
}

const feedAs = (gateway: string, token: string) =>
  until(
    () => fetch(`${gateway}/feed`, { headers: { authorization: `Bearer ${token}` } }),
    (r) => r.status !== 503,
    10_000,
    'the feed route',
  )

describe('signing keys come from configuration in production', () => {
  test('a rogue auth registration cannot get its tokens accepted by a production gateway', async () => {
    const gateway = await gatewayIn('production')
    const forged = await rogue.tokenFor(crypto.randomUUID())
    const real = await legit.tokenFor('11111111-1111-4111-8111-111111111111')
    expect((await feedAs(gateway, forged)).status).toBe(401)
    const ok = await feedAs(gateway, real)
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { user: string }).user).toBe(
      '11111111-1111-4111-8111-111111111111',
    )
  })

  test('in development, where keys are found through Consul, the same rogue token passes (what production prevents)', async () => {
    const gateway = await gatewayIn('development')
    const forged = await rogue.tokenFor(crypto.randomUUID())
    expect((await feedAs(gateway, forged)).status).toBe(200)
  })
})
