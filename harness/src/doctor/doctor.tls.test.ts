/**
 * `harness doctor` against an instance registered as HTTPS with client
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
