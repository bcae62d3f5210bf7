/**
 * WebSockets through the gateway: a Bun upstream that speaks WebSocket registered
 * in the devstack Consul, the gateway served by the kit's runner, real WebSocket
 * clients. Frames and close codes pass both ways; the token is checked before the
 * upgrade and may come as `access_token`, which never reaches the upstream's URL;
 * an upstream that refuses is a 502 problem and ejects nothing.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient, type RunningService, registerWithConsul } from '@civildiy/kit'
import {
  createTestIssuer,
  serveForTest,
  silentLogger,
  type TestIssuer,
} from '@civildiy/kit/testing'
import { createGateway } from './app.ts'
import { type InstanceDirectory, watchInstances } from './discovery/instance-directory.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { webSocketToken } from './proxy/websocket-proxy.ts'
import { createSlidingWindowLimiter } from './rate-limit/sliding-window.ts'
import { compileRoutes } from './routes/route-table.ts'
import { type BalancerEvent, createBalancer } from './upstream/balancer.ts'

let consulServer: ConsulServer
let gateway: RunningService
let directory: InstanceDirectory
let issuer: TestIssuer
let upstream: ReturnType<typeof Bun.serve<{ hello: string }, never>>
const events: BalancerEvent[] = []
const upstreamCloses: number[] = []

beforeAll(async () => {
  consulServer = await startConsul({ port: 0 })
  const consul = consulClient(consulServer.url)
  upstream = Bun.serve<{ hello: string }, never>({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request, server) {
      const url = new URL(request.url)
      if (url.pathname === '/health/ready') return new Response('ok')
      if (url.pathname === '/live/refuse') return new Response('no', { status: 403 })
      const hello = JSON.stringify({
        path: url.pathname + url.search,
        authorization: request.headers.get('authorization'),
        userId: request.headers.get('x-user-id'),
      })
      if (
        request.headers.get('upgrade') === 'websocket' &&
        server.upgrade(request, { data: { hello } })
      )
        return undefined
      return Response.json({ plain: true })
    },
    websocket: {
      // Sent before the gateway's client side is open: it must still arrive first.
      open: (ws) => void ws.send(ws.data.hello),
      message(ws, text) {
        if (text === 'bye') ws.close(4001, 'asked to')
        else ws.send(`echo:${text}`)
      },
      close: (_ws, code) => void upstreamCloses.push(code),
    },
  })
  await registerWithConsul(
    consul,
    { name: 'svc', address: '127.0.0.1', port: upstream.port!, interval: '100ms' },
    silentLogger(),
  )
  const table = compileRoutes({
    routes: [{ prefix: '/live', service: 'svc', auth: 'required', timeoutMs: 0, websocket: true }],
  })
  directory = watchInstances(consul, table.services, silentLogger(), { waitSec: 5 })
  const deadline = Date.now() + 5_000
  while (directory.instances('svc').length === 0 && Date.now() < deadline) await Bun.sleep(25)
  issuer = await createTestIssuer()
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

/** Opens a socket through the gateway; its frames, and how it closed. */
async function open(path: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${gateway.url.replace('http', 'ws')}${path}`, {
    headers,
  } as unknown as string[])
  const frames: string[] = []
  ws.onmessage = (e) => frames.push(String(e.data))
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (e) => resolve({ code: e.code, reason: e.reason })
  })
  const opened = await new Promise<boolean>((resolve) => {
    ws.onopen = () => resolve(true)
    ws.onerror = () => resolve(false)
  })
  return { ws, frames, closed, opened }
}
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await Bun.sleep(10)
  return ok()
}

test('frames pass both ways, the upstream’s first frame included; its close code reaches the client', async () => {
  const token = await issuer.tokenFor('user-1')
  const s = await open('/live/x?after=3', { authorization: `Bearer ${token}` })
  expect(s.opened).toBe(true)
  s.ws.send('one')
  expect(await until(() => s.frames.length === 2)).toBe(true)
  expect(JSON.parse(s.frames[0]!)).toEqual({
    path: '/live/x?after=3',
    authorization: `Bearer ${token}`,
    userId: 'user-1',
  })
  expect(s.frames[1]).toBe('echo:one')
  s.ws.send('bye')
  expect(await s.closed).toEqual({ code: 4001, reason: 'asked to' })
})

test('the token may come as access_token; the upstream gets it as a header, not in its URL', async () => {
  const token = await issuer.tokenFor('user-2')
  const s = await open(`/live/y?access_token=${token}&after=7`)
  expect(s.opened).toBe(true)
  expect(await until(() => s.frames.length === 1)).toBe(true)
  expect(JSON.parse(s.frames[0]!)).toMatchObject({
    path: '/live/y?after=7',
    authorization: `Bearer ${token}`,
  })
  const before = upstreamCloses.length
  s.ws.close(1000, 'done')
  expect(await until(() => upstreamCloses.length > before)).toBe(true)
  expect(upstreamCloses.at(-1)).toBe(1000)
  expect(webSocketToken('/a?access_token=t')).toEqual({ token: 't', pathAndQuery: '/a' })
})

test('no token, or a bad one, is a 401 before any upgrade', async () => {
  const handshake = {
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'sec-websocket-version': '13',
  }
  const none = await fetch(`${gateway.url}/live/x`, { headers: handshake })
  expect(none.status).toBe(401)
  expect(none.headers.get('content-type')).toContain('application/problem+json')
  const forged = await fetch(`${gateway.url}/live/x?access_token=not.a.token`, {
    headers: handshake,
  })
  expect(forged.status).toBe(401)
  expect((await open('/live/x')).opened).toBe(false)
})

test('an upstream that refuses the upgrade is a 502 problem, and ejects nothing however often', async () => {
  const token = await issuer.tokenFor('user-3')
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${gateway.url}/live/refuse`, {
      headers: {
        authorization: `Bearer ${token}`,
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    })
    expect(res.status).toBe(502)
    expect(((await res.json()) as { code: string }).code).toBe('upstream_unreachable')
  }
  expect(events.filter((e) => e.event === 'ejected')).toEqual([])
  // A plain request to the route is proxied as HTTP.
  const plain = await fetch(`${gateway.url}/live/x`, {
    headers: { authorization: `Bearer ${token}` },
  })
  expect(await plain.json()).toEqual({ plain: true })
})
