/**
 * The gateway calling upstreams over TLS: instances registered as HTTPS
 * (`meta.scheme`) are called with `https://`, their certificates verified against
 * TLS_CA_FILE, and the gateway presents its own certificate to services that
 * require one. An upstream whose certificate is not from the CA is refused (502),
 * as is the gateway by a service requiring a client certificate it does not send.
 * Certificates come from compose/tls/make-dev-certs.sh (openssl).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient } from '@civildiy/kit'
import {
  createTestIssuer,
  httpsUpstreamForTest,
  makeDevCerts,
  NO_OPENSSL_REASON,
  silentLogger,
} from '@civildiy/kit/testing'
import { createGateway } from './app.ts'
import { type InstanceDirectory, watchInstances } from './discovery/instance-directory.ts'
import { createRetryBudget } from './proxy/retry-budget.ts'
import { upstreamTls } from './proxy/upstream-tls.ts'
import { createSlidingWindowLimiter } from './rate-limit/sliding-window.ts'
import { compileRoutes } from './routes/route-table.ts'
import { createBalancer } from './upstream/balancer.ts'

const noOpenssl = NO_OPENSSL_REASON
if (noOpenssl) console.warn(`SKIPPED gateway TLS tests: ${noOpenssl}`)
const ours = mkdtempSync(join(tmpdir(), 'gw-tls-'))
const theirs = mkdtempSync(join(tmpdir(), 'gw-tls-other-ca-'))

let consulServer: ConsulServer
let directory: InstanceDirectory
const upstreams: { stop(): Promise<void> }[] = []
let gatewayFor: (withClientCert: boolean) => Promise<ReturnType<typeof createGateway>>

beforeAll(async () => {
  if (noOpenssl) return
  const own = makeDevCerts(ours, 'upstream', 'gateway')
  const other = makeDevCerts(theirs, 'upstream')
  consulServer = await startConsul({ port: 0 })
  const consulUrl = consulServer.url
  upstreams.push(
    await httpsUpstreamForTest({
      consulUrl,
      service: 'secure',
      certs: own,
      name: 'upstream',
      requireClientCert: true,
    }),
    await httpsUpstreamForTest({
      consulUrl,
      service: 'rogue',
      certs: other,
      name: 'upstream',
      requireClientCert: false,
    }),
  )
  const table = compileRoutes({
    routes: [
      { prefix: '/secure', service: 'secure', auth: 'none' },
      { prefix: '/rogue', service: 'rogue', auth: 'none' },
    ],
  })
  directory = watchInstances(consulClient(consulServer.url), table.services, silentLogger(), {
    waitSec: 5,
    retryMaxMs: 200,
  })
  const issuer = await createTestIssuer()
  const deadline = Date.now() + 15_000
  while (table.services.some((s) => directory.instances(s).length === 0)) {
    if (Date.now() > deadline) throw new Error('the HTTPS upstreams never passed in Consul')
    await Bun.sleep(50)
  }
  gatewayFor = async (withClientCert) => {
    const tls = upstreamTls({
      TLS_CA_FILE: join(ours, 'ca.pem'),
      ...(withClientCert
        ? { TLS_CERT_FILE: join(ours, 'gateway.pem'), TLS_KEY_FILE: join(ours, 'gateway.key') }
        : {}),
      TLS_RELOAD_INTERVAL_MS: 60_000,
    })
    return createGateway({
      table,
      directory,
      balancer: createBalancer('round-robin'),
      budget: createRetryBudget(),
      verify: issuer.verify,
      limiter: createSlidingWindowLimiter(),
      logger: silentLogger(),
      production: true,
      upstreamTls: tls.current,
    })
  }
}, 30_000)

afterAll(async () => {
  directory?.close()
  for (const u of upstreams) await u.stop()
  await consulServer?.stop()
  rmSync(ours, { recursive: true, force: true })
  rmSync(theirs, { recursive: true, force: true })
})

describe.skipIf(Boolean(noOpenssl))('upstreams over TLS', () => {
  test('an HTTPS upstream from the CA is reached, the gateway presenting its certificate', async () => {
    expect(directory.instances('secure')[0]!.url).toStartWith('https://127.0.0.1:')
    const gateway = await gatewayFor(true)
    const res = await gateway.handle(new Request('http://localhost/secure/hi'))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('secure over tls')
  })

  test('an upstream whose certificate is not from the CA is refused: 502, nothing of it passed on', async () => {
    const gateway = await gatewayFor(true)
    const res = await gateway.handle(new Request('http://localhost/rogue/hi'))
    expect(res.status).toBe(502)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const body = await res.text()
    expect(JSON.parse(body).code).toBe('upstream_unreachable')
    expect(body).not.toContain('rogue over tls')
  })

  test('without a client certificate the gateway is refused by a service that requires one', async () => {
    const gateway = await gatewayFor(false)
    const res = await gateway.handle(new Request('http://localhost/secure/hi'))
    expect(res.status).toBe(502)
    expect(JSON.parse(await res.text()).code).toBe('upstream_unreachable')
  })
})
