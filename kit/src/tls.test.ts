/**
 * A service over TLS with client certificates required (mutual TLS), as the kit
 * runs it: certificates from compose/tls/make-dev-certs.sh (openssl), the devstack
 * Consul. It registers as HTTPS and passes through its own TTL check; a client
 * with a certificate from the CA gets in, one without is refused at the
 * handshake, and one that does not trust the CA refuses the service; a renewed
 * certificate is served without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConsulServer, startConsul } from '@civildiy/devstack'
import { Type as t } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { BaseConfig, ConfigError, loadConfig, Port } from './config.ts'
import { probeHealth } from './health-probe.ts'
import { accessTokenVerifier } from './jwt.ts'
import { createService, type RunningService } from './service.ts'
import { makeDevCerts, NO_OPENSSL_REASON } from './testing/dev-certs.ts'
import { silentLogger } from './testing/silent-logger.ts'
import { createTestIssuer } from './testing/token-issuer.ts'
import { clientTlsFiles, tlsSettings } from './tls-config.ts'

const noOpenssl = NO_OPENSSL_REASON
if (noOpenssl) console.warn(`SKIPPED kit TLS tests: ${noOpenssl}`)
const dir = mkdtempSync(join(tmpdir(), 'kit-tls-'))
const pem = (name: string) => readFileSync(join(dir, name), 'utf8')

let consulServer: ConsulServer
let service: RunningService

beforeAll(async () => {
  if (noOpenssl) return
  makeDevCerts(dir, 'svc', 'client', 'renewed')
  consulServer = await startConsul({ port: 0 })
  const config = loadConfig(
    t.Composite([BaseConfig, t.Object({ PORT: Port(0) })]),
    withServedCopy(),
  )
  service = await createService({
    name: 'tls-svc',
    app: new Elysia().get('/health/ready', () => 'ready').get('/hello', () => 'hello over tls'),
    config: config as never,
    logger: silentLogger(),
    handleSignals: false,
    tls: tlsSettings(config as never),
  })
}, 30_000)

/** The service serves a copy of `svc`'s files, so the test can renew it in place. */
function withServedCopy(): Record<string, string> {
  copyFileSync(join(dir, 'svc.pem'), join(dir, 'served.pem'))
  copyFileSync(join(dir, 'svc.key'), join(dir, 'served.key'))
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    CONSUL_HTTP_ADDR: consulServer.url,
    TLS_CERT_FILE: join(dir, 'served.pem'),
    TLS_KEY_FILE: join(dir, 'served.key'),
    TLS_CA_FILE: join(dir, 'ca.pem'),
    TLS_CLIENT_AUTH: 'require',
    TLS_RELOAD_INTERVAL_MS: '100',
  }
}

afterAll(async () => {
  await service?.stop()
  await consulServer?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** One request on a new connection; resolves with the body and the certificate's CN. */
async function get(path: string, tls: Record<string, unknown>) {
  let servedBy = ''
  const res = await fetch(`${service.url}${path}`, {
    keepalive: false,
    tls: {
      ...tls,
      checkServerIdentity: (_host: string, cert: { subject?: { CN?: string } }) => {
        servedBy = cert.subject?.CN ?? ''
        return undefined
      },
    },
  } as RequestInit)
  return { status: res.status, body: await res.text(), servedBy }
}

describe.skipIf(Boolean(noOpenssl))('a service over mutual TLS', () => {
  test('it registers as https and passes through its own TTL check', async () => {
    expect(service.url).toStartWith('https://127.0.0.1:')
    const deadline = Date.now() + 10_000
    let entries: { Service: { Meta: Record<string, string> } }[] = []
    while (entries.length === 0 && Date.now() < deadline) {
      entries = (await (
        await fetch(`${consulServer.url}/v1/health/service/tls-svc?passing`)
      ).json()) as typeof entries
      if (!entries.length) await Bun.sleep(50)
    }
    expect(entries.map((e) => e.Service.Meta.scheme)).toEqual(['https'])
  })

  test('a client certificate from the CA gets in; none, or a server not trusted, is refused', async () => {
    const ca = pem('ca.pem')
    const ok = await get('/hello', { ca, cert: pem('client.pem'), key: pem('client.key') })
    expect(ok).toEqual({ status: 200, body: 'hello over tls', servedBy: 'svc' })
    expect(await get('/hello', { ca }).catch((e: Error) => e)).toBeInstanceOf(Error)
    const untrusted = await get('/hello', {
      cert: pem('client.pem'),
      key: pem('client.key'),
    }).catch((e: { code?: string }) => e.code)
    // The private CA is not among the runtime's: verification fails (the code names the chain).
    expect(untrusted).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/)
  })

  test('a renewed certificate is served on new connections without a restart', async () => {
    const client = { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') }
    const port = service.port
    copyFileSync(join(dir, 'renewed.key'), join(dir, 'served.key'))
    copyFileSync(join(dir, 'renewed.pem'), join(dir, 'served.pem'))
    const deadline = Date.now() + 20_000
    // A connection queued on the old listener as it closes is reset (SO_REUSEPORT
    // hands each listener its own queue); the client retries, as clients do.
    const attempt = () => get('/hello', client).catch(() => ({ status: 0, body: '', servedBy: '' }))
    let seen = await attempt()
    while (seen.servedBy !== 'renewed' && Date.now() < deadline) {
      await Bun.sleep(100)
      seen = await attempt()
    }
    expect(seen).toEqual({ status: 200, body: 'hello over tls', servedBy: 'renewed' })
    expect(service.port).toBe(port)
  })
})

describe.skipIf(Boolean(noOpenssl))('calling another service over mutual TLS', () => {
  test('a JWKS that requires a client certificate is fetched with TLS_CA_FILE and TLS_CLIENT_CERT_FILE', async () => {
    const issuer = await createTestIssuer()
    const auth = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      tls: {
        cert: pem('svc.pem'),
        key: pem('svc.key'),
        ca: pem('ca.pem'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      fetch: () => Response.json(issuer.jwks),
    })
    try {
      const settings = {
        AUTH_JWKS_URL: `https://127.0.0.1:${auth.port}/.well-known/jwks.json`,
        AUTH_SERVICE_NAME: 'auth',
        JWT_ISSUER: 'civildiy-auth',
        JWT_AUDIENCE: 'civildiy',
        TLS_CA_FILE: join(dir, 'ca.pem'),
      }
      const token = await issuer.tokenFor('user-1')
      const withCert = accessTokenVerifier({
        ...settings,
        TLS_CLIENT_CERT_FILE: join(dir, 'client.pem'),
        TLS_CLIENT_KEY_FILE: join(dir, 'client.key'),
      })
      expect((await withCert(token)).userId).toBe('user-1')
      const withoutCert = accessTokenVerifier(settings)
      // Refused at the handshake: the keys cannot be fetched, so the token is not
      // accepted, and the answer says the keys are unavailable, not that the token is bad.
      expect(
        await withoutCert(token).catch((e: Error & { status?: number; code?: string }) => [
          e.status,
          e.code,
        ]),
      ).toEqual([503, 'keys_unavailable'])
    } finally {
      auth.stop(true)
    }
  })

  test('the container healthcheck probes over mutual TLS with the service certificate, and fails without TLS', async () => {
    const env = {
      PORT: String(service.port),
      TLS_CERT_FILE: join(dir, 'client.pem'),
      TLS_KEY_FILE: join(dir, 'client.key'),
      TLS_CA_FILE: join(dir, 'ca.pem'),
    }
    expect(await probeHealth(env)).toBe(0)
    expect(await probeHealth({ PORT: String(service.port) })).toBe(1)
    expect(await probeHealth({ ...env, TLS_CA_FILE: join(dir, 'missing.pem') })).toBe(1)
  })

  test('the client certificate defaults to the serving one, and its key must come with it', () => {
    expect(
      clientTlsFiles({ TLS_CA_FILE: 'ca', TLS_CERT_FILE: 'svc.pem', TLS_KEY_FILE: 'svc.key' }),
    ).toEqual({ caFile: 'ca', certFile: 'svc.pem', keyFile: 'svc.key' })
    expect(
      clientTlsFiles({
        TLS_CERT_FILE: 'svc.pem',
        TLS_KEY_FILE: 'svc.key',
        TLS_CLIENT_CERT_FILE: 'gw.pem',
        TLS_CLIENT_KEY_FILE: 'gw.key',
      }),
    ).toEqual({ certFile: 'gw.pem', keyFile: 'gw.key' })
    expect(() =>
      tlsSettings({
        TLS_CLIENT_CERT_FILE: join(dir, 'client.pem'),
        TLS_CLIENT_AUTH: 'none',
        TLS_RELOAD_INTERVAL_MS: 5000,
      }),
    ).toThrow('TLS_CLIENT_KEY_FILE')
  })
})

describe.skipIf(Boolean(noOpenssl))('TLS settings', () => {
  test('a certificate without its key, a missing file, or client auth without a CA is a config error', () => {
    const base = { TLS_CLIENT_AUTH: 'none' as const, TLS_RELOAD_INTERVAL_MS: 5000 }
    expect(tlsSettings(base)).toBeUndefined()
    const messageOf = (c: Parameters<typeof tlsSettings>[0]) => {
      try {
        tlsSettings(c)
        return ''
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError)
        return (err as Error).message
      }
    }
    expect(messageOf({ ...base, TLS_CERT_FILE: join(dir, 'svc.pem') })).toContain('TLS_KEY_FILE')
    expect(
      messageOf({
        ...base,
        TLS_CERT_FILE: join(dir, 'nope.pem'),
        TLS_KEY_FILE: join(dir, 'svc.key'),
      }),
    ).toContain('an existing PEM file')
    expect(
      messageOf({
        ...base,
        TLS_CERT_FILE: join(dir, 'svc.pem'),
        TLS_KEY_FILE: join(dir, 'svc.key'),
        TLS_CLIENT_AUTH: 'require',
      }),
    ).toContain('TLS_CA_FILE')
  })
})
