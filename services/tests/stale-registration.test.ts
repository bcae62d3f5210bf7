/**
 * A process killed with SIGKILL leaves its Consul registration behind. When a
 * replacement takes the same port, the old registration's check reaches the new
 * process, which answers 503 for an instance id that is not its own: the old
 * entry goes critical and the gateway routes to exactly one instance.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { freePort } from '@civildiy/devstack'
import { consulClient, discoverService } from '@civildiy/kit'
import type { Subprocess } from 'bun'
import { type RunningStack, spawnService, startStack, until } from './stack-helpers.ts'

let running: RunningStack
const extra: Subprocess[] = []

beforeAll(async () => {
  running = await startStack(['gateway'])
}, 60_000)

afterAll(async () => {
  for (const p of extra) p.kill('SIGKILL')
  await Promise.all(extra.map((p) => p.exited))
  await running?.stop()
})

interface HealthEntry {
  Service: { ID: string; Port: number }
  Checks: { Status: string }[]
}

test('a replacement on the same port never revives its predecessor’s registration', async () => {
  const consulUrl = running.stack.url('consul')!
  const consul = consulClient(consulUrl)
  const env = {
    CONSUL_HTTP_ADDR: consulUrl,
    KAFKA_BROKERS: running.stack.url('kafka')!.replace('kafka://', ''),
    PORT: String(await freePort()),
  }
  const entries = async () =>
    (await consul.health.service({ service: 'feed' })) as unknown as HealthEntry[]
  const passing = async () =>
    (await entries()).filter((e) => e.Checks.every((c) => c.Status === 'passing'))

  const first = spawnService('feed', env)
  extra.push(first)
  const [old] = await until(passing, (p) => p.length === 1, 30_000, 'the first feed passing')
  first.kill('SIGKILL')
  await first.exited
  extra.push(spawnService('feed', env))
  const gateway = await until(() => discoverService(consul, 'gateway'), Boolean, 30_000, 'gateway')
  // Both registrations exist; only the new one passes, checked several times over.
  await until(
    entries,
    (all) => all.length === 2 && all.some((e) => e.Service.ID !== old!.Service.ID),
    30_000,
    'the replacement registered',
  )
  // Once the old entry's check has run against the new process, only the new one passes, and stays so.
  await until(
    passing,
    (p) => p.length === 1 && p[0]!.Service.ID !== old!.Service.ID,
    30_000,
    'the old registration to go critical',
  )
  for (let i = 0; i < 5; i++) {
    const live = await passing()
    expect(live.map((e) => e.Service.ID)).not.toContain(old!.Service.ID)
    expect(live.length).toBe(1)
    await Bun.sleep(1_000)
  }
  const routes = await until(
    async () =>
      (await (await fetch(`${gateway}/gateway/routes`)).json()) as {
        prefix: string
        instances: { id: string }[]
      }[],
    (r) => r.find((x) => x.prefix === '/feed')!.instances.length === 1,
    15_000,
    'the gateway to route /feed to one instance',
  )
  const feed = routes.find((r) => r.prefix === '/feed')!
  expect(feed.instances.map((i) => i.id)).not.toContain(old!.Service.ID)
  expect((await fetch(`${gateway}/feed/global`)).status).toBe(200)
}, 90_000)
