/**
 * `harness doctor` against an instance registered as HTTPS with client
 * certificates required (as the kit registers it with TLS_* set): probed over
 * `https://` with the CA and a client certificate it passes; without them it
 * fails with the flags to pass. Certificates from compose/tls/make-dev-certs.sh.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { consulClient, type RegisteredService, registerWithConsul } from '@civildiy/kit'
import { silentLogger } from '@civildiy/kit/testing'
import { runDoctor } from './doctor.ts'

const script = join(import.meta.dir, '..', '..', '..', 'compose', 'tls', 'make-dev-certs.sh')
const noOpenssl = Bun.which('openssl') ? null : 'no openssl (apt-get install openssl)'
if (noOpenssl) console.warn(`SKIPPED harness doctor over TLS: ${noOpenssl}`)
const dir = mkdtempSync(join(tmpdir(), 'doctor-tls-'))
const pem = (name: string) => readFileSync(join(dir, name), 'utf8')
let consulServer: ConsulServer
let server: ReturnType<typeof Bun.serve>
let registration: RegisteredService

beforeAll(async () => {
  if (noOpenssl) return
  const made = Bun.spawnSync(['bash', script, dir, 'secure', 'doctor'], { stderr: 'pipe' })
  if (made.exitCode !== 0) throw new Error(made.stderr.toString())
  consulServer = await startConsul({ port: 0 })
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls: {
      cert: pem('secure.pem'),
      key: pem('secure.key'),
      ca: pem('ca.pem'),
      requestCert: true,
      rejectUnauthorized: true,
    },
    fetch: () => new Response('ok'),
  })
  registration = await registerWithConsul(
    consulClient(consulServer.url),
    {
      name: 'secure',
      address: '127.0.0.1',
      port: server.port!,
      scheme: 'https',
      interval: '200ms',
      selfCheck: async () => ({ ok: true, note: 'ready' }),
    },
    silentLogger(),
  )
}, 30_000)

afterAll(async () => {
  await registration?.deregister()
  server?.stop(true)
  await consulServer?.stop()
  rmSync(dir, { recursive: true, force: true })
})

test.skipIf(Boolean(noOpenssl))(
  'an HTTPS instance is probed over TLS; without its CA and a client certificate the fix is named',
  async () => {
    const withTls = await runDoctor({
      consul: consulServer.url,
      expected: ['secure'],
      tls: { ca: pem('ca.pem'), cert: pem('doctor.pem'), key: pem('doctor.key') },
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
