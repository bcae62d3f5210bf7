/**
 * Certificates for TLS tests, made by compose/tls/make-dev-certs.sh (openssl) as a
 * developer would make them, and an HTTPS upstream registered in Consul as the kit
 * registers an HTTPS instance (`meta.scheme`, a TTL check it passes itself).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { consulClient, type RegisteredService, registerWithConsul } from '../consul.ts'
import { silentLogger } from './silent-logger.ts'

const script = join(import.meta.dir, '..', '..', '..', 'compose', 'tls', 'make-dev-certs.sh')

/** Why TLS tests cannot run here, or null. */
export const NO_OPENSSL_REASON: string | null = Bun.which('openssl')
  ? null
  : 'no openssl (apt-get install openssl; .ci/run does)'

/**
 * A CA in `dir` (kept if there) and a certificate per name; `pem(file)` reads one back.
 * @throws when the script fails.
 * @example const certs = makeDevCerts(dir, 'svc', 'client'); certs.pem('ca.pem')
 */
export function makeDevCerts(dir: string, ...names: string[]) {
  const r = Bun.spawnSync(['bash', script, dir, ...names], { stderr: 'pipe' })
  if (r.exitCode !== 0) throw new Error(`make-dev-certs.sh failed: ${r.stderr.toString()}`)
  return { dir, pem: (file: string) => readFileSync(join(dir, file), 'utf8') }
}

/**
 * Serves `answer` over HTTPS with `<name>.pem` of `certs` (client certificates from its
 * CA required when asked) and registers it in Consul as `service`, HTTPS, passing.
 * @example const up = await httpsUpstreamForTest({ consulUrl, service: 'secure', certs, name: 'upstream', requireClientCert: true })
 */
export async function httpsUpstreamForTest(o: {
  consulUrl: string
  service: string
  certs: ReturnType<typeof makeDevCerts>
  /** The certificate's name in `certs`. */
  name: string
  requireClientCert: boolean
  answer?: string
}): Promise<{ port: number; stop(): Promise<void> }> {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls: {
      cert: o.certs.pem(`${o.name}.pem`),
      key: o.certs.pem(`${o.name}.key`),
      ca: o.certs.pem('ca.pem'),
      requestCert: o.requireClientCert,
      rejectUnauthorized: o.requireClientCert,
    },
    fetch: () => new Response(o.answer ?? `${o.service} over tls`),
  })
  const registration: RegisteredService = await registerWithConsul(
    consulClient(o.consulUrl),
    {
      name: o.service,
      address: '127.0.0.1',
      port: server.port!,
      scheme: 'https',
      interval: '200ms',
      selfCheck: async () => ({ ok: true, note: 'ready' }),
    },
    silentLogger(),
  )
  return {
    port: server.port!,
    async stop() {
      await registration.deregister()
      server.stop(true)
    },
  }
}
