/**
 * Discovery against the devstack Consul with real instances: a healthy one, one
 * registered at an address nothing listens on (the classic container fault), one
 * whose health check fails.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type ConsulServer, freePort, startConsul } from '@civildiy/devstack'
import { consulClient } from '@civildiy/kit'
import { checkDiscovery } from './discovery.ts'

let consulServer: ConsulServer
const servers: ReturnType<typeof Bun.serve>[] = []

beforeAll(async () => {
  consulServer = await startConsul({ port: 0 })
})
afterAll(async () => {
  for (const s of servers) await s.stop(true)
  await consulServer.stop()
})

test('a registered address nothing answers on is reported as unreachable, with the fix', async () => {
  const consul = consulClient(consulServer.url)
  const healthy = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') })
  const sick = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: () => new Response('no', { status: 503 }),
  })
  servers.push(healthy, sick)
  const deadPort = await freePort()
  const register = (id: string, name: string, port: number) =>
    consul.agent.service.register({ id, name, address: '127.0.0.1', port } as { name: string })
  await register('auth-1', 'auth', healthy.port!)
  await register('posts-1', 'posts', deadPort)
  await register('feed-1', 'feed', sick.port!)

  const r = await checkDiscovery(consulServer.url, ['auth', 'posts', 'feed', 'profile'])
  expect(r.ok).toBe(false)
  const byId = Object.fromEntries(r.instances.map((i) => [i.id, i]))
  expect(byId['auth-1']!.tcp.ok).toBe(true)
  expect(byId['auth-1']!.health?.status).toBe(200)
  expect(byId['posts-1']!.tcp).toMatchObject({ ok: false, failure: 'refused' })
  expect(byId['feed-1']!.health?.status).toBe(503)
  const text = r.failures.join('\n')
  expect(text).toContain(`posts posts-1: registered at 127.0.0.1:${deadPort}`)
  expect(text).toContain('unreachable from here: refused')
  expect(text).toContain('ADVERTISE_ADDRESS')
  expect(text).toContain('feed feed-1')
  expect(text).toContain('profile: not registered in Consul')
  expect(text).not.toContain('auth auth-1')
})

test('an unreachable Consul is a failure, not a crash', async () => {
  const r = await checkDiscovery(`http://127.0.0.1:${await freePort()}`, ['auth'], {
    timeoutMs: 500,
  })
  expect(r.ok).toBe(false)
  expect(r.failures[0]).toContain('did not answer for auth')
})

test('a Consul with ACLs on needs the token: without it the failure says so', async () => {
  const token = 'acl-token-for-the-check'
  const guarded = await startConsul({ port: 0, aclTokens: [token] })
  try {
    const healthy = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('ok') })
    servers.push(healthy)
    await consulClient(guarded.url, token).agent.service.register({
      id: 'auth-1',
      name: 'auth',
      address: '127.0.0.1',
      port: healthy.port!,
    } as { name: string })
    const without = await checkDiscovery(guarded.url, ['auth'])
    expect(without.failures[0]).toContain('--consul-token')
    const withToken = await checkDiscovery(guarded.url, ['auth'], { token })
    expect(withToken.instances.map((i) => i.id)).toEqual(['auth-1'])
  } finally {
    await guarded.stop()
  }
})
