/** The instance directory against the devstack Consul: it follows registrations, and a Consul restart (its index starting over) does not hide new instances. */
import { afterEach, expect, test } from 'bun:test'
import { type ConsulServer, freePort, startConsul } from '@civildiy/devstack'
import { consulClient } from '@civildiy/kit'
import { silentLogger } from '@civildiy/kit/testing'
import { type InstanceDirectory, watchInstances } from './instance-directory.ts'

let server: ConsulServer | undefined
let directory: InstanceDirectory | undefined
afterEach(async () => {
  directory?.close()
  await server?.stop()
})

const register = (url: string, id: string, port: number) =>
  consulClient(url).agent.service.register({ name: 'svc', id, address: '127.0.0.1', port })

async function until(ok: () => boolean): Promise<void> {
  while (!ok()) await Bun.sleep(20)
}

test('after Consul restarts with its index starting over, a newly registered instance is seen', async () => {
  const port = await freePort()
  server = await startConsul({ port })
  // Raise the index well past where a fresh Consul starts.
  for (let i = 0; i < 30; i++) await register(server.url, `svc-${i}`, 10_000 + i)
  // A wait far longer than this test's timeout: only a query from index 0 answers in time.
  directory = watchInstances(consulClient(server.url), ['svc'], silentLogger(), {
    waitSec: 600,
    retryMaxMs: 100,
  })
  expect(await directory.ready(5_000)).toBe(true)
  expect(directory.instances('svc')).toHaveLength(30)

  await server.stop()
  await until(() => directory!.status().consul.reachable === false)
  // The last known set stays in use while Consul is away.
  expect(directory.instances('svc')).toHaveLength(30)

  server = await startConsul({ port })
  await until(() => directory!.status().consul.reachable)
  // The restarted Consul knows no instance yet: its empty answer does not wipe the set.
  expect(directory.instances('svc')).toHaveLength(30)
  await register(server.url, 'svc-new', 20_000)
  await until(() => directory!.instances('svc').some((i) => i.id === 'svc-new'))
  expect(directory.instances('svc').map((i) => i.id)).toEqual(['svc-new'])
}, 20_000)

test('past the grace after a reconnection, an empty answer is taken as it is', async () => {
  const port = await freePort()
  server = await startConsul({ port })
  await register(server.url, 'svc-a', 10_000)
  directory = watchInstances(consulClient(server.url), ['svc'], silentLogger(), {
    waitSec: 600,
    retryMaxMs: 100,
    emptyGraceMs: 0,
  })
  expect(await directory.ready(5_000)).toBe(true)
  expect(directory.instances('svc')).toHaveLength(1)
  await server.stop()
  await until(() => directory!.status().consul.reachable === false)
  server = await startConsul({ port })
  await until(() => directory!.instances('svc').length === 0)
  expect(directory.status().consul.reachable).toBe(true)
}, 20_000)
