/**
 * Contract suite for the Consul stand-in, driven only through the `consul` npm
 * client. With CONSUL_HTTP_ADDR set (host:port or URL), it runs against that Consul.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import Consul from 'consul'
import { startConsul } from './server.ts'

const external = process.env.CONSUL_HTTP_ADDR
let consul: Consul
let baseUrl: string
let stopServer: () => Promise<void> = async () => {}
const health = { status: 200 }
let upstream: ReturnType<typeof Bun.serve>
const registered: string[] = []

beforeAll(async () => {
  if (external) {
    const u = new URL(external.includes('://') ? external : `http://${external}`)
    baseUrl = u.origin
    consul = new Consul({ host: u.hostname, port: Number(u.port || 8500) })
  } else {
    const server = await startConsul({ port: 0, minDeregisterCriticalMs: 200, reapIntervalMs: 100 })
    baseUrl = server.url
    stopServer = server.stop
    consul = new Consul({ host: server.host, port: server.port! })
  }
  upstream = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: () => new Response('ok', { status: health.status }),
  })
})

afterAll(async () => {
  for (const id of registered) await consul.agent.service.deregister(id).catch(() => {})
  upstream.stop(true)
  await stopServer()
})

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

interface Registration {
  name: string
  id?: string
  address?: string
  port?: number
  tags?: string[]
  meta?: Record<string, string>
  check?: Record<string, string>
}

async function register(options: Registration): Promise<void> {
  // The client's types insist on a check name and timeout, which Consul itself does not.
  await consul.agent.service.register(options as unknown as { name: string })
  registered.push(options.id ?? options.name)
}

async function eventually<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`,
      )
    await Bun.sleep(25)
  }
}

describe('service registration and health', () => {
  test('a registered service with an HTTP check becomes passing and is listed everywhere', async () => {
    const name = uniqueName('web')
    await register({
      name,
      id: `${name}-1`,
      address: '127.0.0.1',
      port: upstream.port!,
      tags: ['v1'],
      meta: { version: '1' },
      check: {
        http: `http://127.0.0.1:${upstream.port!}/health/ready`,
        interval: '1s',
        timeout: '1s',
      },
    })
    const services = (await consul.agent.service.list()) as Record<
      string,
      { Service: string; Port: number; Tags: string[]; Meta: Record<string, string> }
    >
    expect(services[`${name}-1`]).toMatchObject({
      Service: name,
      Port: upstream.port!,
      Tags: ['v1'],
      Meta: { version: '1' },
    })
    const passing = await eventually(
      () =>
        consul.health.service({ service: name, passing: true }) as Promise<
          { Service: { ID: string }; Checks: { CheckID: string; Status: string }[] }[]
        >,
      (r) => r.length === 1,
    )
    expect(passing[0]!.Service.ID).toBe(`${name}-1`)
    expect(passing[0]!.Checks.map((c) => c.CheckID)).toContain(`service:${name}-1`)
    expect(Object.keys(await consul.catalog.service.list())).toContain(name)
    const nodes = (await consul.catalog.service.nodes(name)) as {
      ServiceID: string
      ServicePort: number
    }[]
    expect(nodes.map((n) => [n.ServiceID, n.ServicePort])).toEqual([[`${name}-1`, upstream.port!]])
    const checks = (await consul.agent.check.list()) as Record<
      string,
      { Status: string; Type: string; Output: string }
    >
    expect(checks[`service:${name}-1`]).toMatchObject({ Status: 'passing', Type: 'http' })
    expect(checks[`service:${name}-1`]!.Output).toContain('200')
  })

  test('a failing check turns critical, leaves ?passing, and the service is deregistered after the critical timeout', async () => {
    if (external) {
      console.warn(
        'SKIPPED against a real Consul: it raises DeregisterCriticalServiceAfter to at least one minute',
      )
      return
    }
    const name = uniqueName('flaky')
    const failing = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => new Response('down', { status: 503 }),
    })
    try {
      await register({
        name,
        port: failing.port!,
        check: {
          http: `http://127.0.0.1:${failing.port!}/`,
          interval: '100ms',
          deregistercriticalserviceafter: '300ms',
        },
      })
      const all = (await consul.health.service(name)) as { Checks: { Status: string }[] }[]
      expect(all).toHaveLength(1)
      expect(
        (await consul.health.service({ service: name, passing: true })) as unknown[],
      ).toHaveLength(0)
      // New checks start critical with no output; wait for the first HTTP result.
      const critical = await eventually(
        () => consul.health.state('critical') as Promise<{ ServiceName: string; Output: string }[]>,
        (checks) => (checks.find((c) => c.ServiceName === name)?.Output ?? '') !== '',
      )
      expect(critical.find((c) => c.ServiceName === name)!.Output).toContain('503')
      await eventually(
        () => consul.agent.service.list() as Promise<Record<string, unknown>>,
        (s) => !(name in s),
      )
      expect((await consul.health.service(name)) as unknown[]).toHaveLength(0)
    } finally {
      failing.stop(true)
    }
  })

  test('a passing check that starts failing leaves ?passing and returns when it recovers', async () => {
    const name = uniqueName('toggle')
    const flip = { status: 200 }
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => new Response('', { status: flip.status }),
    })
    try {
      await register({
        name,
        port: server.port!,
        check: { http: `http://127.0.0.1:${server.port!}/`, interval: '100ms' },
      })
      const passing = () =>
        consul.health.service({ service: name, passing: true }) as Promise<unknown[]>
      await eventually(passing, (r) => r.length === 1)
      flip.status = 500
      await eventually(passing, (r) => r.length === 0)
      flip.status = 429
      const warning = await eventually(
        () => consul.health.checks(name) as Promise<{ Status: string }[]>,
        (c) => c[0]?.Status === 'warning',
      )
      expect(warning[0]!.Status).toBe('warning')
      flip.status = 200
      await eventually(passing, (r) => r.length === 1)
    } finally {
      server.stop(true)
    }
  })

  test('TTL checks start critical, follow pass/warn/fail and expire', async () => {
    const name = uniqueName('ttl')
    await register({ name, check: { ttl: '500ms' } })
    const checkId = `service:${name}`
    const status = async () =>
      ((await consul.agent.check.list()) as Record<string, { Status: string; Output: string }>)[
        checkId
      ]!
    expect((await status()).Status).toBe('critical')
    await consul.agent.check.pass({ id: checkId, note: 'all good' })
    expect(await status()).toMatchObject({ Status: 'passing', Output: 'all good' })
    await consul.agent.check.warn(checkId)
    expect((await status()).Status).toBe('warning')
    await consul.agent.check.pass(checkId)
    const expired = await eventually(status, (s) => s.Status === 'critical', 3_000)
    expect(expired.Output).toContain('TTL expired')
  })

  test('TCP checks pass against a listening port and fail against a closed one', async () => {
    const open = uniqueName('tcp-open')
    const closed = uniqueName('tcp-closed')
    const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const spare = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
    const closedPort = spare.port
    spare.stop(true)
    try {
      await register({
        name: open,
        port: listener.port!,
        check: { tcp: `127.0.0.1:${listener.port!}`, interval: '200ms' },
      })
      await register({
        name: closed,
        port: closedPort,
        check: { tcp: `127.0.0.1:${closedPort}`, interval: '200ms' },
      })
      await eventually(
        () => consul.health.service({ service: open, passing: true }) as Promise<unknown[]>,
        (r) => r.length === 1,
      )
      const checks = await eventually(
        () => consul.health.checks(closed) as Promise<{ Status: string; Output: string }[]>,
        (c) => c[0]?.Output !== '' && c[0]?.Output !== undefined,
      )
      expect(checks[0]!.Status).toBe('critical')
    } finally {
      listener.stop(true)
    }
  })

  test('registration errors are HTTP 400 and unknown ids 404', async () => {
    const missingName = await fetch(`${baseUrl}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Port: 80 }),
    })
    expect(missingName.status).toBe(400)
    expect(await missingName.text()).toContain('Missing service name')
    const badCheck = await fetch(`${baseUrl}/v1/agent/service/register`, {
      method: 'PUT',
      body: JSON.stringify({ Name: 'x', Check: { HTTP: 'http://127.0.0.1/' } }),
    })
    expect(badCheck.status).toBe(400)
    const notJson = await fetch(`${baseUrl}/v1/agent/service/register`, {
      method: 'PUT',
      body: '{',
    })
    expect(notJson.status).toBe(400)
    const unknown = await fetch(`${baseUrl}/v1/agent/service/deregister/${uniqueName('nobody')}`, {
      method: 'PUT',
    })
    expect(unknown.status).toBe(404)
    await expect(consul.agent.check.pass(uniqueName('nocheck'))).rejects.toThrow()
  })
})

describe('blocking queries', () => {
  test('a blocking health query returns as soon as a new instance registers', async () => {
    const name = uniqueName('watched')
    await register({ name, id: `${name}-a`, port: 1001 })
    const first = await fetch(`${baseUrl}/v1/health/service/${name}`)
    const index = Number(first.headers.get('X-Consul-Index'))
    expect(index).toBeGreaterThan(0)
    const started = Date.now()
    const blocked = fetch(`${baseUrl}/v1/health/service/${name}?index=${index}&wait=20s`)
    await Bun.sleep(150)
    await register({ name, id: `${name}-b`, port: 1002 })
    const res = await blocked
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(Number(res.headers.get('X-Consul-Index'))).toBeGreaterThan(index)
    expect(((await res.json()) as unknown[]).length).toBe(2)
  })

  test('a blocking query on an unrelated service keeps waiting until its wait time', async () => {
    const name = uniqueName('quiet')
    await register({ name, port: 1 })
    const index = Number(
      (await fetch(`${baseUrl}/v1/health/service/${name}`)).headers.get('X-Consul-Index'),
    )
    const started = Date.now()
    const blocked = fetch(`${baseUrl}/v1/health/service/${name}?index=${index}&wait=600ms`)
    await register({ name: uniqueName('other'), port: 2 })
    await blocked
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)
  })

  test('consul.watch emits a change when the passing set changes', async () => {
    const name = uniqueName('watch')
    const watch = consul.watch({
      method: consul.health.service,
      // The client's watch options are typed as strings; it sends passing=true for any truthy value.
      options: { service: name, passing: 'true', wait: '5s' },
    })
    const sizes: number[] = []
    watch.on('change', (data: unknown[]) => sizes.push(data.length))
    watch.on('error', () => {})
    try {
      await eventually(
        async () => sizes,
        (s) => s.length >= 1,
      )
      await register({ name, port: 3, check: { ttl: '30s', status: 'passing' } })
      await eventually(
        async () => sizes,
        (s) => s.at(-1) === 1,
      )
    } finally {
      watch.end()
    }
  })
})

describe('KV', () => {
  test('set, get, keys, cas and recursive delete behave as in Consul', async () => {
    const root = uniqueName('kv')
    expect(await consul.kv.set(`${root}/a`, 'one')).toBe(true)
    expect(await consul.kv.set(`${root}/b/c`, 'two')).toBe(true)
    const a = (await consul.kv.get(`${root}/a`)) as {
      Value: string
      ModifyIndex: number
      Flags: number
    }
    expect(a.Value).toBe('one')
    // The client turns a `false` body into undefined, so the refusals are read raw.
    const put = (value: string, cas: number) =>
      fetch(`${baseUrl}/v1/kv/${root}/a?cas=${cas}`, { method: 'PUT', body: value }).then((r) =>
        r.text(),
      )
    expect(await put('stale', a.ModifyIndex - 1)).toBe('false')
    expect(
      await consul.kv.set({ key: `${root}/a`, value: 'fresh', cas: a.ModifyIndex } as never),
    ).toBe(true)
    expect(await put('create-only', 0)).toBe('false')
    expect(((await consul.kv.get(`${root}/a`)) as { Value: string }).Value).toBe('fresh')
    expect(
      (await consul.kv.keys({ key: `${root}/`, separator: '/' } as never)) as string[],
    ).toEqual([`${root}/a`, `${root}/b/`])
    const all = (await consul.kv.get({ key: root, recurse: true })) as { Key: string }[]
    expect(all.map((e) => e.Key)).toEqual([`${root}/a`, `${root}/b/c`])
    const raw = await fetch(`${baseUrl}/v1/kv/${root}/a?raw`)
    expect(await raw.text()).toBe('fresh')
    // The router cleans the path: repeated slashes name the same key.
    expect(await (await fetch(`${baseUrl}/v1/kv//${root}//a?raw`)).text()).toBe('fresh')
    await consul.kv.del({ key: root, recurse: true })
    expect(await consul.kv.get(`${root}/a`)).toBeUndefined()
  })
})

describe('filters', () => {
  test('?filter= keeps only what the expression matches, on every listing; a bad one is 400', async () => {
    const name = uniqueName('filtered')
    await register({ name, id: `${name}-1`, tags: ['blue'], meta: { version: '2' } })
    await register({ name: `${name}-other`, tags: ['red'] })
    const get = async (path: string, filter: string) => {
      const res = await fetch(`${baseUrl}${path}?filter=${encodeURIComponent(filter)}`)
      expect(`${path} ${res.status}`).toBe(`${path} 200`)
      return res.json() as Promise<unknown>
    }
    const services = (await get('/v1/agent/services', `Service == "${name}"`)) as Record<
      string,
      unknown
    >
    expect(Object.keys(services)).toEqual([`${name}-1`])
    const blue = (await get(
      '/v1/agent/services',
      `"blue" in Tags and Meta.version == "2"`,
    )) as Record<string, unknown>
    expect(Object.keys(blue)).toContain(`${name}-1`)
    expect(Object.keys(blue)).not.toContain(`${name}-other`)
    const catalog = (await get('/v1/catalog/services', `ServiceName == "${name}-other"`)) as Record<
      string,
      unknown
    >
    expect(Object.keys(catalog)).toEqual([`${name}-other`])
    const instances = (await get(
      `/v1/catalog/service/${name}`,
      'ServiceTags contains "red"',
    )) as unknown[]
    expect(instances).toEqual([])
    const health = (await get(
      `/v1/health/service/${name}`,
      'Service.Tags contains "blue"',
    )) as unknown[]
    expect(health).toHaveLength(1)
    expect(await get('/v1/catalog/nodes', 'Node == "no-such-node"')).toEqual([])
    const bad = await fetch(
      `${baseUrl}/v1/agent/services?filter=${encodeURIComponent('Service ==')}`,
    )
    expect(bad.status).toBe(400)
  })
})

describe('status and self', () => {
  test('leader, peers and agent self answer in Consul shapes', async () => {
    expect(await consul.status.leader()).toMatch(/:8300$/)
    const self = (await consul.agent.self()) as { Config: { Datacenter: string; NodeName: string } }
    expect(self.Config.Datacenter).toBeTruthy()
    const nodes = (await consul.catalog.node.list()) as { Node: string; Address: string }[]
    expect(nodes.length).toBeGreaterThan(0)
  })
})
