/**
 * The gateway over real connections: the devstack Consul on an ephemeral port,
 * small Bun upstreams registered in it, the gateway served by the kit's runner.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConsulServer, freePort, startConsul } from '@civildiy/devstack'
import { consulClient, type RunningService, registerWithConsul } from '@civildiy/kit'
import {
  createTestIssuer,
  serveForTest,
  silentLogger,
  type TestIssuer,
} from '@civildiy/kit/testing'
import { generateKeyPair, SignJWT } from 'jose'
import { createGateway } from './app.ts'
import { type InstanceDirectory, watchInstances } from './discovery/instance-directory.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { createSlidingWindowLimiter } from './rate-limit/sliding-window.ts'
import { compileRoutes } from './routes/route-table.ts'
import { createBalancer } from './upstream/balancer.ts'

interface Upstream {
  name: string
  port: number
  ready: boolean
  posts: number
  seen: number
  stop(): Promise<void>
  deregister(): Promise<void>
}

const MiB = 1024 * 1024
type Problem = { code: string; detail: string }
/** Size of the streamed bodies: large enough that buffering one would stand out. */
const BODY_MIB = 200
/** Requests the upstream is holding on /sleep, and what releases them. */
let sleeping = 0
const slowGate = Promise.withResolvers<void>()
let consulServer: ConsulServer
let consul: ReturnType<typeof consulClient>
let issuer: TestIssuer
let gateway: RunningService
let directory: InstanceDirectory
const upstreams: Upstream[] = []

async function startUpstream(name: string): Promise<Upstream> {
  const u = { name, ready: true, posts: 0, seen: 0 } as Upstream
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    maxRequestBodySize: 512 * MiB,
    idleTimeout: 30,
    async fetch(request) {
      const path = new URL(request.url).pathname
      if (path === '/health/ready') return new Response(null, { status: u.ready ? 200 : 503 })
      u.seen++
      if (path.endsWith('/upload')) {
        let bytes = 0
        for await (const chunk of request.body!) bytes += chunk.byteLength
        return Response.json({ bytes })
      }
      if (path.endsWith('/download')) {
        const chunk = new Uint8Array(MiB).fill(7)
        let sent = 0
        return new Response(
          new ReadableStream({
            pull(c) {
              if (sent++ < BODY_MIB) c.enqueue(chunk)
              else c.close()
            },
          }),
        )
      }
      if (path.endsWith('/sleep')) {
        // Held until the test lets it go (10 s at most), so "answered before the
        // upstream" is a fact the test can check, not a duration.
        sleeping++
        await Promise.race([slowGate.promise, Bun.sleep(10_000)])
        sleeping--
      }
      const bodyBytes = request.body ? (await request.arrayBuffer()).byteLength : 0
      if (request.method === 'POST') u.posts++
      return Response.json({
        instance: name,
        method: request.method,
        path,
        bodyBytes,
        headers: Object.fromEntries(request.headers),
      })
    },
  })
  u.port = server.port!
  const reg = await registerWithConsul(
    consul,
    { name: 'svc', address: '127.0.0.1', port: u.port, interval: '100ms', timeout: '500ms' },
    silentLogger(),
  )
  u.stop = async () => {
    await server.stop(true)
  }
  u.deregister = () => reg.deregister()
  upstreams.push(u)
  return u
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await read()
    if (ok(v)) return v
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await Bun.sleep(25)
  }
}

const url = (path: string) => `${gateway.url}${path}`
const echo = async (path = '/svc/echo', init?: RequestInit) =>
  (await (await fetch(url(path), init)).json()) as {
    instance: string
    headers: Record<string, string>
  }

beforeAll(async () => {
  consulServer = await startConsul({ port: 0 })
  consul = consulClient(consulServer.url)
  issuer = await createTestIssuer()
  await startUpstream('a')
  const table = compileRoutes({
    rateLimits: { tight: { limit: 3, windowMs: 60_000, by: 'ip' } },
    corsOrigins: ['https://app.example'],
    routes: [
      { prefix: '/svc', service: 'svc', auth: 'optional', maxBodyBytes: 64 * MiB },
      { prefix: '/private', service: 'svc', auth: 'required' },
      { prefix: '/limited', service: 'svc', auth: 'none', rateLimit: 'tight' },
      { prefix: '/small', service: 'svc', maxBodyBytes: 1_024 },
      { prefix: '/slow', service: 'svc', timeoutMs: 200 },
    ],
  })
  directory = watchInstances(consul, table.services, silentLogger(), {
    waitSec: 5,
    retryMaxMs: 200,
  })
  expect(await directory.ready(5_000)).toBe(true)
  await until(
    async () => directory.instances('svc').length,
    (n) => n === 1,
  )
  const app = createGateway({
    table,
    directory,
    balancer: createBalancer('round-robin'),
    budget: createRetryBudget(),
    verify: issuer.verify,
    limiter: createSlidingWindowLimiter(),
    logger: silentLogger(),
    production: true,
  })
  gateway = await serveForTest(
    'gateway',
    app,
    { SHUTDOWN_TIMEOUT_MS: 1_000 },
    { maxRequestBodyBytes: 128 * MiB },
  )
})

afterAll(async () => {
  await gateway?.stop()
  directory?.close()
  for (const u of upstreams) await u.stop()
  await consulServer?.stop()
})

describe('discovery', () => {
  test('a new instance gets traffic once passing; an instance whose check fails gets none', async () => {
    const registeredAt = performance.now()
    const b = await startUpstream('b')
    await until(
      () => Promise.all([echo(), echo()]),
      (pair) => pair.some((r) => r.instance === 'b'),
    )
    const joinMs = performance.now() - registeredAt
    expect(joinMs).toBeLessThan(5_000)
    const seen = new Set(
      (await Promise.all([echo(), echo(), echo(), echo()])).map((r) => r.instance),
    )
    expect([...seen].sort()).toEqual(['a', 'b'])

    b.ready = false
    await until(
      async () => directory.instances('svc').map((i) => i.port),
      (ports) => !ports.includes(b.port),
    )
    const after = await Promise.all(Array.from({ length: 8 }, () => echo()))
    expect(after.every((r) => r.instance === 'a')).toBe(true)
    await b.deregister()
    await b.stop()
  })
})

describe('forwarding', () => {
  test('client-sent internal headers are replaced; forwarding headers and the request id are set', async () => {
    const anonymous = await echo('/svc/echo', {
      headers: { 'x-user-id': 'mallory', 'x-forwarded-for': '6.6.6.6', 'x-request-id': 'req-1' },
    })
    expect(anonymous.headers['x-user-id']).toBeUndefined()
    expect(anonymous.headers['x-forwarded-for']).toBe('127.0.0.1')
    expect(anonymous.headers['x-request-id']).toBe('req-1')
    expect(anonymous.headers['x-forwarded-host']).toBe(new URL(gateway.url).host)
    const token = await issuer.tokenFor('11111111-1111-4111-8111-111111111111')
    const signedIn = await echo('/svc/echo', {
      headers: { authorization: `Bearer ${token}`, 'x-user-id': 'mallory' },
    })
    expect(signedIn.headers['x-user-id']).toBe('11111111-1111-4111-8111-111111111111')
    expect(signedIn.headers.authorization).toBe(`Bearer ${token}`)
  })

  test('a client that sends no Accept-Encoding is not offered a coding it never asked for', async () => {
    // Bun's fetch offers gzip, br and zstd when not told otherwise (it does not with
    // `decompress: false`, which the gateway relies on) and the gateway passes bodies
    // on undecoded. A test client built on fetch would add its own: use a plain socket.
    const { port, hostname } = new URL(gateway.url)
    const raw = await new Promise<string>((resolve, reject) => {
      let text = ''
      const socket = connect({ host: hostname, port: Number(port) }, () =>
        socket.write(`GET /svc/echo HTTP/1.1\r\nhost: ${hostname}\r\nconnection: close\r\n\r\n`),
      )
      socket.setEncoding('utf8')
      socket.on('data', (chunk) => {
        text += chunk
      })
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    expect(raw).toStartWith('HTTP/1.1 200')
    const seen = JSON.parse(raw.slice(raw.indexOf('{'))) as { headers: Record<string, string> }
    expect(seen.headers['accept-encoding']).toBeUndefined()
    const asked = await echo('/svc/echo', { headers: { 'accept-encoding': 'br' } })
    expect(asked.headers['accept-encoding']).toBe('br')
  })

  test('an upstream slower than the route timeout is a 504 problem naming the route', async () => {
    const res = await fetch(url('/slow/sleep'))
    expect(res.status).toBe(504)
    // The upstream is still holding the request: the gateway did not wait for it.
    expect(sleeping).toBe(1)
    slowGate.resolve()
    const body = (await res.json()) as Problem
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(body.detail).toContain('/slow')
    expect(JSON.stringify(body)).not.toContain('127.0.0.1')
  })

  test('bodies over the route limit are 413, declared or streamed', async () => {
    const declared = await fetch(url('/small/echo'), { method: 'POST', body: 'x'.repeat(2_048) })
    expect(declared.status).toBe(413)
    expect(((await declared.json()) as Problem).code).toBe('body_too_large')
    const streamed = await fetch(url('/small/echo'), {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(1_000))
          c.close()
        },
      }),
    })
    expect(streamed.status).toBe(413)
    const fits = await fetch(url('/small/echo'), { method: 'POST', body: 'x'.repeat(1_000) })
    expect(fits.status).toBe(200)
  })

  test('200 MiB each way streams through a gateway process whose peak memory stays flat', async () => {
    const peakRssMiB = async (pid: number) => {
      const status = await Bun.file(`/proc/${pid}/status`).text()
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024
    }
    if (!existsSync('/proc/self/status')) {
      console.warn('SKIPPED memory assertion: no /proc (peak RSS is read from /proc/<pid>/status)')
      return
    }
    const dir = mkdtempSync(join(tmpdir(), 'gateway-'))
    const routesFile = join(dir, 'routes.json')
    await Bun.write(
      routesFile,
      JSON.stringify({ routes: [{ prefix: '/svc', service: 'svc', maxBodyBytes: 512 * MiB }] }),
    )
    const port = await freePort()
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'main.ts')], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADVERTISE_ADDRESS: '127.0.0.1',
        CONSUL_HTTP_ADDR: consulServer.url,
        GATEWAY_ROUTES_FILE: routesFile,
        MAX_BODY_BYTES: String(512 * MiB),
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
      },
      stdout: 'inherit',
      stderr: 'inherit',
    })
    try {
      const base = `http://127.0.0.1:${port}`
      await until(
        () =>
          fetch(`${base}/svc/echo`).then(
            (r) => r.status,
            () => 0,
          ),
        (s) => s === 200,
        10_000,
      )
      const chunk = new Uint8Array(MiB).fill(1)
      const roundTrip = async () => {
        let sent = 0
        const up = await fetch(`${base}/svc/upload`, {
          method: 'POST',
          body: new ReadableStream({
            pull(c) {
              if (sent++ < BODY_MIB) c.enqueue(chunk)
              else c.close()
            },
          }),
        })
        expect(await up.json()).toEqual({ bytes: BODY_MIB * MiB })
        const down = await fetch(`${base}/svc/download`)
        let received = 0
        for await (const part of down.body!) received += part.byteLength
        expect(received).toBe(BODY_MIB * MiB)
      }
      const before = await peakRssMiB(proc.pid)
      await roundTrip()
      // Streaming costs a bounded amount (socket buffers, JIT, chunks awaiting GC);
      // buffering a body would raise the peak by its size, 200 MiB.
      expect((await peakRssMiB(proc.pid)) - before).toBeLessThan(100)
    } finally {
      proc.kill('SIGTERM')
      await proc.exited
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('CORS preflights from allowed origins are answered; others are forwarded', async () => {
    const res = await fetch(url('/svc/echo'), {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example')
    const simple = await fetch(url('/svc/echo'), { headers: { origin: 'https://evil.example' } })
    expect(simple.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('tokens', () => {
  const userId = '22222222-2222-4222-8222-222222222222'
  async function foreignToken(kid: string) {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setSubject(userId)
      .setIssuer('civildiy-auth')
      .setAudience('civildiy')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey)
  }
  const unsigned = () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    return `${part({ alg: 'none', kid: issuer.kid })}.${part({ sub: userId, iss: 'civildiy-auth', aud: 'civildiy', iat: now, exp: now + 300 })}.`
  }

  test('protected routes refuse missing, expired, forged, alg none and unknown-kid tokens', async () => {
    const before = upstreams[0]!.seen
    const cases: [string, string | null][] = [
      ['missing', null],
      ['expired', await issuer.tokenFor(userId, { expiresInSec: -60 })],
      ['forged (same kid, other key)', await foreignToken(issuer.kid)],
      ['alg none', unsigned()],
      ['unknown kid', await foreignToken('rotated-away')],
      ['wrong audience', await issuer.tokenFor(userId, { audience: 'someone-else' })],
    ]
    for (const [what, token] of cases) {
      const res = await fetch(url('/private/echo'), {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
      expect({ what, status: res.status }).toEqual({ what, status: 401 })
      expect(res.headers.get('www-authenticate')).toStartWith('Bearer')
      expect(((await res.json()) as Problem).code).toBe('unauthorized')
    }
    expect(upstreams[0]!.seen).toBe(before)
    const ok = await fetch(url('/private/echo'), {
      headers: { authorization: `Bearer ${await issuer.tokenFor(userId)}` },
    })
    expect(ok.status).toBe(200)
  })
})

describe('rate limits', () => {
  test('the fourth request in the window is 429 with Retry-After and RateLimit headers', async () => {
    const statuses: number[] = []
    let last: Response | undefined
    for (let i = 0; i < 4; i++) {
      last = await fetch(url('/limited/echo'))
      statuses.push(last.status)
      if (i < 3) expect(last.headers.get('ratelimit-remaining')).toBe(String(2 - i))
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(last!.headers.get('ratelimit-limit')).toBe('3')
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(last!.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60)
    expect(((await last!.json()) as Problem).code).toBe('rate_limited')
  })
})

describe('resilience', () => {
  test('a GET that hits a dead instance is retried elsewhere; a POST never is; the dead one is ejected', async () => {
    const ghostPort = await freePort()
    await consul.agent.service.register({
      id: 'svc-ghost',
      name: 'svc',
      address: '127.0.0.1',
      port: ghostPort,
    } as { name: string })
    await until(
      async () => directory.instances('svc').map((i) => i.id),
      (ids) => ids.includes('svc-ghost'),
    )
    const a = upstreams[0]!
    const postsBefore = a.posts
    const posts = []
    for (let i = 0; i < 4; i++)
      posts.push(await fetch(url('/svc/echo'), { method: 'POST', body: '{}' }))
    const statuses = posts.map((r) => r.status)
    expect(statuses.filter((s) => s === 502).length).toBe(2)
    expect(a.posts - postsBefore).toBe(statuses.filter((s) => s === 200).length)
    const failed = (await posts.find((r) => r.status === 502)!.json()) as Problem
    expect(failed.code).toBe('upstream_unreachable')
    expect(JSON.stringify(failed)).not.toContain(String(ghostPort))

    const gets = []
    for (let i = 0; i < 6; i++) gets.push((await fetch(url('/svc/echo'))).status)
    expect(gets).toEqual([200, 200, 200, 200, 200, 200])

    const routes = (await (await fetch(url('/gateway/routes'))).json()) as {
      prefix: string
      instances: { id: string; ejected: boolean }[]
    }[]
    const ghost = routes
      .find((r) => r.prefix === '/svc')!
      .instances.find((i) => i.id === 'svc-ghost')!
    expect(ghost.ejected).toBe(true)
    await consul.agent.service.deregister('svc-ghost')
  })

  test('with Consul stopped the gateway keeps routing to the last known instances and says so', async () => {
    await consulServer.stop()
    const health = await until(
      async () =>
        (await (await fetch(url('/gateway/health'))).json()) as {
          status: string
          consul: { reachable: boolean }
        },
      (h) => h.consul.reachable === false,
      10_000,
    )
    expect(health.status).toBe('degraded')
    const res = await echo()
    expect(res.instance).toBe('a')
  })
})
