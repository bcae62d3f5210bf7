/**
 * `harness doctor` (and `harness check`'s discovery) against an instance registered as HTTPS with client
 * certificates required (as the kit registers it with TLS_* set): probed over
 * `https://` with the CA and a client certificate it passes; without them it
 * fails with the flags to pass. Certificates from compose/tls/make-dev-certs.sh.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { httpsUpstreamForTest, makeDevCerts, NO_OPENSSL_REASON } from '@civildiy/kit/testing'
import { checkDiscovery } from '../check/discovery.ts'
import { runDoctor } from './doctor.ts'

const noOpenssl = NO_OPENSSL_REASON
if (noOpenssl) console.warn(`SKIPPED harness doctor over TLS: ${noOpenssl}`)
const dir = mkdtempSync(join(tmpdir(), 'doctor-tls-'))
let certs: ReturnType<typeof makeDevCerts>
let consulServer: ConsulServer
let upstream: Awaited<ReturnType<typeof httpsUpstreamForTest>>

beforeAll(async () => {
  if (noOpenssl) return
  certs = makeDevCerts(dir, 'secure', 'doctor')
  consulServer = await startConsul({ port: 0 })
  upstream = await httpsUpstreamForTest({
    consulUrl: consulServer.url,
    service: 'secure',
    certs,
    name: 'secure',
    requireClientCert: true,
  })
}, 30_000)

afterAll(async () => {
  await upstream?.stop()
  await consulServer?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test.skipIf(Boolean(noOpenssl))(
  'an HTTPS instance is probed over TLS; without its CA and a client certificate the fix is named',
  async () => {
    const withTls = await runDoctor({
      consul: consulServer.url,
      expected: ['secure'],
      tls: { ca: certs.pem('ca.pem'), cert: certs.pem('doctor.pem'), key: certs.pem('doctor.key') },
    })
    const probe = withTls.checks.find((c) => c.target.startsWith('secure ') && c.check === 'https')
    expect(probe).toMatchObject({ ok: true, detail: expect.stringContaining('/health/live 200') })

    const without = await runDoctor({ consul: consulServer.url, expected: ['secure'] })
    const failed = without.checks.find((c) => c.target.startsWith('secure ') && c.check === 'https')
    expect(failed?.ok).toBe(false)
    expect(failed?.fix).toContain('--tls-ca')
    expect(failed?.fix).toContain('--tls-cert')
  },
)

test.skipIf(Boolean(noOpenssl))(
  'harness check discovery reads the scheme too, and names the TLS flags when it cannot get in',
  async () => {
    const tls = {
      ca: certs.pem('ca.pem'),
      cert: certs.pem('doctor.pem'),
      key: certs.pem('doctor.key'),
    }
    const ok = await checkDiscovery(consulServer.url, ['secure'], { tls })
    expect(ok.failures).toEqual([])
    expect(ok.instances.map((i) => i.health?.status)).toEqual([200])
    const refused = await checkDiscovery(consulServer.url, ['secure'])
    expect(refused.failures).toHaveLength(1)
    expect(refused.failures[0]).toContain('It speaks HTTPS: pass --tls-ca')
  },
)
