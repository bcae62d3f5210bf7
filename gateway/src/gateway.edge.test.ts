/**
 * The gateway's edge against a client that means harm: request-target spellings
 * and HTTP oddities over raw sockets, limits that no spelling escapes, and
 * ejection triggers that a client can send as often as it likes without taking
 * the only instance of a service out of rotation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient, type RunningService, registerWithConsul } from '@civildiy/kit'
import { createTestIssuer, rawRequest, serveForTest, silentLogger } from '@civildiy/kit/testing'
import { createGateway } from './app.ts'
import { type InstanceDirectory, watchInstances } from './discovery/instance-directory.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { createSlidingWindowLimiter } from './rate-limit/sliding-window.ts'
import { compileRoutes } from './routes/route-table.ts'
import { type BalancerEvent, createBalancer } from './upstream/balancer.ts'

let consulServer: ConsulServer
let gateway: RunningService
let directory: InstanceDirectory
let upstream: ReturnType<typeof Bun.serve>
const seen: string[] = []
const events: BalancerEvent[] = []
const INTERNAL = '10.9.8.7:3001'

beforeAll(async () => {
  consulServer = await startConsul({ port: 0 })
  const consul = consulClient(consulServer.url)
  upstream = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname
      if (path === '/health/ready') return new Response('ok')
      seen.push(path)
      if (request.body) await request.arrayBuffer()
      if (path === '/svc/boom')
        return new Response(`TypeError at handler (/srv/app.ts:12) talking to ${INTERNAL}`, {
          status: 500,
        })
      if (path === '/svc/shed')
        return Response.json(
          { status: 503, code: 'overloaded', detail: `queue full on ${INTERNAL}` },
          {
            status: 503,
            headers: { 'retry-after': '1', 'content-type': 'application/problem+json' },
          },
        )
      return Response.json({ path, url: request.url })
    },
  })
  await registerWithConsul(
    consul,
    { name: 'svc', address: '127.0.0.1', port: upstream.port!, interval: '100ms' },
    silentLogger(),
  )
  const table = compileRoutes({
    rateLimits: { credentials: { limit: 3, windowMs: 60_000, by: 'ip', methods: ['POST'] } },
    routes: [
      { prefix: '/svc/login', service: 'svc', auth: 'none', rateLimit: 'credentials' },
      { prefix: '/svc', service: 'svc', auth: 'optional', timeoutMs: 300 },
    ],
  })
  directory = watchInstances(consul, table.services, silentLogger(), { waitSec: 5 })
  const deadline = Date.now() + 5_000
  while (directory.instances('svc').length === 0 && Date.now() < deadline) await Bun.sleep(25)
  const issuer = await createTestIssuer()
  gateway = await serveForTest(
    'gateway',
    createGateway({
      table,
      directory,
      balancer: createBalancer('round-robin', { onEvent: (e) => events.push(e) }),
      budget: createRetryBudget(),
      verify: issuer.verify,
      limiter: createSlidingWindowLimiter(),
      logger: silentLogger(),
      production: true,
    }),
  )
})

afterAll(async () => {
  await gateway?.stop()
  directory?.close()
  await upstream?.stop(true)
  await consulServer?.stop()
})

const raw = (head: string, o?: Parameters<typeof rawRequest>[2]) =>
  rawRequest(gateway.port, head, o)
const get = (target: string, extra = '') =>
  raw(`GET ${target} HTTP/1.1\r\nHost: api.example\r\n${extra}Connection: close\r\n\r\n`)

describe('request targets and HTTP oddities over raw sockets', () => {
  test.each([
    ['GET /svc/x# HTTP/1.1\r\nHost: a\r\n', 400],
    ['GET /svc/x%00 HTTP/1.1\r\nHost: a\r\n', 400],
    ['GET /svc/x?y=%00 HTTP/1.1\r\nHost: a\r\n', 400],
    ['GET /svc/%zz HTTP/1.1\r\nHost: a\r\n', 400],
    ['GET /svc/..%2flogin HTTP/1.1\r\nHost: a\r\n', 400],
    ['CONNECT api.example:443 HTTP/1.1\r\nHost: api.example:443\r\n', 400],
    ['GET /svc/x HTTP/1.0\r\n', 400],
    ['GET /svc/x HTTP/1.1\r\nHost:\r\n', 400],
    ['POST /svc/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n', 400],
    ['POST /svc/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n', 400],
  ])('%j → %i problem+json', async (head, status) => {
    const res = await raw(`${head}Connection: close\r\n\r\nab`)
    expect(res.status).toBe(status)
    // Bun answers CL+TE itself, before any handler runs, with an empty 400.
    if (!head.includes('Transfer-Encoding'))
      expect(res.headers['content-type']).toBe('application/problem+json')
  })

  test('an absolute-form target is routed by its path and never to the host it names', async () => {
    const res = await raw(
      'GET http://evil.example/svc/abs HTTP/1.1\r\nHost: api.example\r\nConnection: close\r\n\r\n',
    )
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).url).toBe(`http://127.0.0.1:${upstream.port}/svc/abs`)
  })

  test('the upstream receives the normalized path the route was matched on', async () => {
    const res = await get('/x/../svc//%61bc/./d')
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body).path).toBe('/svc/abc/d')
  })
})

describe('a rate limit no spelling of its path escapes', () => {
  test.each([
    ['/svc/login'],
    ['/svc/login/'],
    ['/svc/login?x=1'],
    ['//svc/login'],
    ['/svc/./login'],
    ['/x/../svc/login'],
    ['/svc/%6cogin'],
    ['/svc/log%69n'],
  ])('POST %s counts against /svc/login', async (target) => {
    const head = (t: string) =>
      `POST ${t} HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`
    const statuses: number[] = []
    // The limit is per client address and shared by every case, so after the first
    // three POSTs of the whole table every spelling is limited.
    for (let i = 0; i < 4; i++) statuses.push((await raw(head(target))).status)
    expect(statuses.at(-1)).toBe(429)
    const fragment = await raw(head(`${target}#`))
    expect([400, 429]).toContain(fragment.status)
  })
})

describe('ejection triggers a client controls', () => {
  test('50 of each trigger leave the only instance in rotation with 0 failures for others', async () => {
    const before = seen.length
    const slow = Array.from({ length: 50 }, () =>
      raw(
        'POST /svc/upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nConnection: close\r\n\r\n',
        {
          chunks: ['a', 'b'],
          pauseMs: 600,
        },
      ),
    )
    const results = await Promise.all([
      ...slow,
      ...Array.from({ length: 50 }, () =>
        raw(
          'POST /svc/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx',
        ),
      ),
      ...Array.from({ length: 50 }, () => get('/svc/boom')),
      ...Array.from({ length: 50 }, () => get('/svc/shed')),
    ])
    const statuses = results.map((r) => r.status)
    expect(statuses.slice(0, 50).every((s) => s === 408)).toBe(true)
    expect(statuses.slice(50, 100).every((s) => s === 400)).toBe(true)
    expect(statuses.slice(100, 150).every((s) => s === 500)).toBe(true)
    expect(statuses.slice(150).every((s) => s === 503)).toBe(true)
    expect(seen.length).toBeGreaterThan(before)
    const others = await Promise.all(
      Array.from({ length: 50 }, () => fetch(`${gateway.url}/svc/ok`)),
    )
    expect(others.map((r) => r.status).filter((s) => s !== 200)).toEqual([])
    expect(events.some((e) => e.event === 'ejected')).toBe(false)
    expect(events.some((e) => e.event === 'ejection_vetoed')).toBe(true)
  })

  test('upstream error bodies are replaced: no internal address, the code and Retry-After kept', async () => {
    const boom = await get('/svc/boom')
    expect(boom.headers['content-type']).toBe('application/problem+json')
    expect(boom.body).not.toContain(INTERNAL)
    expect(boom.body).not.toContain('/srv/app.ts')
    expect(JSON.parse(boom.body).code).toBe('upstream_error')
    const shed = await get('/svc/shed')
    expect(shed.headers['retry-after']).toBe('1')
    expect(JSON.parse(shed.body).code).toBe('overloaded')
    expect(shed.body).not.toContain(INTERNAL)
  })

  test('/gateway/routes shows each instance health and whether the service is in panic', async () => {
    const routes = (await (await fetch(`${gateway.url}/gateway/routes`)).json()) as {
      prefix: string
      panic: boolean
      instances: { ejected: boolean; breaker: string; lastFailureReason?: string }[]
    }[]
    const svc = routes.find((r) => r.prefix === '/svc')!
    expect(svc.instances[0]!.ejected).toBe(false)
    expect(svc.instances[0]!.lastFailureReason).toBe('upstream_5xx')
    expect(typeof svc.panic).toBe('boolean')
  })
})
