/**
 * The gateway under `deno run` (the kit's permissions, see kit/src/deno-command.ts):
 * it finds an upstream through Consul, verifies tokens against a JWKS, streams
 * request and response bodies both ways, answers an over-limit body 413, and
 * rate-limits, both in process and through Upstash REST (the devstack bridge
 * over a real Redis, when one can be started).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ConsulServer,
  freePort,
  NO_REDIS_REASON,
  startConsul,
  startTestRedis,
  startUpstashBridge,
  type TestRedis,
  type UpstashBridge,
} from '@civildiy/devstack'
import { consulClient, denoExecutable, denoRunCommand } from '@civildiy/kit'
import {
  createTestIssuer,
  httpsUpstreamForTest,
  makeDevCerts,
  NO_OPENSSL_REASON,
  type TestIssuer,
} from '@civildiy/kit/testing'
import type { Subprocess } from 'bun'

const root = join(import.meta.dir, '..', '..')
const noDeno = existsSync(denoExecutable(root))
  ? null
  : 'no deno in node_modules/.bin (npm install brings it as a dev dependency)'
if (noDeno) console.warn(`SKIPPED the gateway on Deno: ${noDeno}`)

let consulServer: ConsulServer
let issuer: TestIssuer
let jwks: ReturnType<typeof Bun.serve>
let upstream: ReturnType<typeof Bun.serve>
let redis: TestRedis | null = null
let bridge: UpstashBridge | undefined
const work = mkdtempSync(join(tmpdir(), 'gateway-deno-'))
const routesFile = join(work, 'routes.json')

beforeAll(async () => {
  if (noDeno) return
  consulServer = await startConsul({ port: 0 })
  issuer = await createTestIssuer()
  jwks = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => Response.json(issuer.jwks) })
  // Echoes a POST body back as it streams in (/echo/buffered: once all of it came);
  // GET /echo/big streams 1 MiB out.
  upstream = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname
      if (path === '/echo/buffered') return new Response(await request.arrayBuffer())
      if (path === '/echo/big')
        return new Response(
          new ReadableStream({
            start(c) {
              for (let i = 0; i < 16; i++) c.enqueue(new Uint8Array(65536).fill(65 + i))
              c.close()
            },
          }),
        )
      return new Response(request.body, { headers: { 'x-upstream': 'echo' } })
    },
  })
  await consulClient(consulServer.url).agent.service.register({
    id: 'echo-1',
    name: 'echo',
    address: '127.0.0.1',
    port: upstream.port,
  } as { name: string })
  writeFileSync(
    routesFile,
    JSON.stringify({
      routes: [
        { prefix: '/echo', service: 'echo', auth: 'required', maxBodyBytes: 512 * 1024 },
        { prefix: '/limited', service: 'echo', auth: 'required', rateLimit: 'tight' },
        { prefix: '/secure', service: 'echo-secure', auth: 'required' },
      ],
      rateLimits: { tight: { limit: 3, windowMs: 60_000, by: 'user' } },
    }),
  )
  redis = await startTestRedis()
  if (redis) bridge = await startUpstashBridge({ port: 0, redisUrl: redis.url })
  else console.warn(`SKIPPED the gateway on Deno with Upstash rate limits: ${NO_REDIS_REASON}`)
}, 60_000)

afterAll(async () => {
  jwks?.stop(true)
  upstream?.stop(true)
  await bridge?.stop()
  await redis?.stop()
  await consulServer?.stop()
  rmSync(work, { recursive: true, force: true })
})

/** The gateway on Deno with `env` added; resolves once /echo reaches the upstream. */
async function denoGateway(env: Record<string, string>) {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc: Subprocess = Bun.spawn(
    denoRunCommand(root, join(root, 'gateway', 'src', 'main.ts'), [
      routesFile,
      join(work, 'certs'),
    ]),
    {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        ADVERTISE_ADDRESS: '127.0.0.1',
        CONSUL_HTTP_ADDR: consulServer.url,
        GATEWAY_ROUTES_FILE: routesFile,
        AUTH_JWKS_URL: `http://127.0.0.1:${jwks.port}/`,
        LOG_LEVEL: 'error',
        NODE_ENV: 'test',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        UPSTASH_REDIS_REST_URL: '',
        UPSTASH_REDIS_REST_TOKEN: '',
        ...env,
      },
      stdout: 'inherit',
      stderr: 'inherit',
    },
  )
  const token = await issuer.tokenFor(crypto.randomUUID())
  const deadline = Date.now() + 60_000
  for (;;) {
    const res = await fetch(`${url}/echo/big`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch(() => null)
    if (res?.ok) break
    if (proc.exitCode !== null) throw new Error(`the gateway on Deno exited (${proc.exitCode})`)
    if (Date.now() > deadline) throw new Error('the gateway on Deno did not route in 60 s')
    await Bun.sleep(100)
  }
  const stop = async () => {
    proc.kill('SIGTERM')
    await proc.exited
  }
  return { url, stop }
}

describe.skipIf(Boolean(noDeno) || Boolean(NO_OPENSSL_REASON))(
  'the gateway on Deno, HTTPS upstreams',
  () => {
    test('an upstream that requires a client certificate is reached with the gateway’s own, verified against the CA', async () => {
      const certs = makeDevCerts(join(work, 'certs'), 'secure-upstream', 'gateway')
      const secure = await httpsUpstreamForTest({
        consulUrl: consulServer.url,
        service: 'echo-secure',
        certs,
        name: 'secure-upstream',
        requireClientCert: true,
        answer: 'secure over tls',
      })
      const file = (name: string) => join(work, 'certs', name)
      const gateway = await denoGateway({
        TLS_CA_FILE: file('ca.pem'),
        TLS_CLIENT_CERT_FILE: file('gateway.pem'),
        TLS_CLIENT_KEY_FILE: file('gateway.key'),
      })
      try {
        const auth = { authorization: `Bearer ${await issuer.tokenFor(crypto.randomUUID())}` }
        const deadline = Date.now() + 20_000
        let res = await fetch(`${gateway.url}/secure`, { headers: auth })
        while (res.status !== 200 && Date.now() < deadline) {
          await Bun.sleep(100)
          res = await fetch(`${gateway.url}/secure`, { headers: auth })
        }
        expect({ status: res.status, body: await res.text() }).toEqual({
          status: 200,
          body: 'secure over tls',
        })
      } finally {
        await gateway.stop()
        await secure.stop()
      }
    }, 90_000)
  },
)

const variants: [string, () => Record<string, string>][] = [['in process', () => ({})]]
variants.push([
  'Upstash REST',
  () => ({ UPSTASH_REDIS_REST_URL: bridge!.url, UPSTASH_REDIS_REST_TOKEN: bridge!.token }),
])

for (const [name, env] of variants) {
  describe.skipIf(Boolean(noDeno))(`the gateway on Deno, rate limits ${name}`, () => {
    let gateway: Awaited<ReturnType<typeof denoGateway>>
    const skipUpstash = () => name === 'Upstash REST' && !bridge

    beforeAll(async () => {
      if (!skipUpstash()) gateway = await denoGateway(env())
    }, 90_000)
    afterAll(async () => gateway?.stop())

    test('tokens are verified, and bodies stream both ways', async () => {
      if (skipUpstash()) return
      const none = await fetch(`${gateway.url}/echo`, { method: 'POST', body: 'x' })
      expect(none.status).toBe(401)
      expect(none.headers.get('content-type')).toContain('application/problem+json')

      const auth = { authorization: `Bearer ${await issuer.tokenFor(crypto.randomUUID())}` }
      const sent = new Uint8Array(300 * 1024).map((_, i) => i % 251)
      const echoed = await fetch(`${gateway.url}/echo`, {
        method: 'POST',
        headers: auth,
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < sent.length; i += 10_000) c.enqueue(sent.subarray(i, i + 10_000))
            c.close()
          },
        }),
      })
      expect(echoed.status).toBe(200)
      expect(echoed.headers.get('x-upstream')).toBe('echo')
      expect(echoed.headers.get('x-request-id')).toBeTruthy()
      expect(new Uint8Array(await echoed.arrayBuffer())).toEqual(sent)

      const big = await fetch(`${gateway.url}/echo/big`, { headers: auth })
      const bytes = new Uint8Array(await big.arrayBuffer())
      expect(bytes.length).toBe(16 * 65536)
      expect(bytes[16 * 65536 - 1]).toBe(65 + 15)

      // An upstream that answers only after the whole body: the limit is hit first.
      const tooLarge = await fetch(`${gateway.url}/echo/buffered`, {
        method: 'POST',
        headers: auth,
        body: new ReadableStream({
          start(c) {
            for (let i = 0; i < 12; i++) c.enqueue(new Uint8Array(65536))
            c.close()
          },
        }),
      })
      expect(tooLarge.status).toBe(413)
      expect(((await tooLarge.json()) as { code: string }).code).toBe('body_too_large')
    })

    test('the fourth request of a user in the window is 429 with Retry-After', async () => {
      if (skipUpstash()) return
      const auth = { authorization: `Bearer ${await issuer.tokenFor(crypto.randomUUID())}` }
      const statuses: number[] = []
      let last: Response | undefined
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${gateway.url}/limited`, { headers: auth })
        statuses.push(last.status)
        if (i < 3) await last.arrayBuffer()
      }
      expect(statuses).toEqual([200, 200, 200, 429])
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(((await last!.json()) as { code: string }).code).toBe('rate_limited')
    })
  })
}
