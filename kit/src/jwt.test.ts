import { afterAll, expect, test } from 'bun:test'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { AppError, UnauthorizedError } from './errors.ts'
import { createJwtVerifier } from './jwt.ts'

async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
    crv: 'Ed25519',
    extractable: true,
  })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { privateKey, kid, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } as JWK }
}

const published: JWK[] = []
let fetches = 0
const jwksServer = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  fetch: () => {
    fetches++
    return Response.json({ keys: published })
  },
})
afterAll(() => jwksServer.stop(true))

const sign = (
  k: Awaited<ReturnType<typeof keyPair>>,
  o: { sub?: string; exp?: number; iss?: string; typ?: string | null; iat?: number } = {},
) =>
  new SignJWT({})
    .setProtectedHeader({
      alg: 'EdDSA',
      kid: k.kid,
      ...(o.typ === null ? {} : { typ: o.typ ?? 'at+jwt' }),
    })
    .setSubject(o.sub ?? 'user-1')
    .setIssuer(o.iss ?? 'civildiy-auth')
    .setAudience('civildiy')
    .setIssuedAt(o.iat ?? Math.floor(Date.now() / 1000))
    .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 300)
    .sign(k.privateKey)

test('keys are fetched once and cached, and a token with a new kid triggers a refetch (rotation)', async () => {
  const first = await keyPair()
  published.splice(0, published.length, first.jwk)
  const verify = createJwtVerifier({
    jwks: `http://127.0.0.1:${jwksServer.port}/.well-known/jwks.json`,
    issuer: 'civildiy-auth',
    audience: 'civildiy',
    jwksCooldownMs: 100,
  })
  expect((await verify(await sign(first))).userId).toBe('user-1')
  expect((await verify(await sign(first, { sub: 'user-2' }))).userId).toBe('user-2')
  expect(fetches).toBe(1)

  const second = await keyPair()
  published.splice(0, published.length, first.jwk, second.jwk)
  await Bun.sleep(150) // past the refetch cooldown
  expect((await verify(await sign(second, { sub: 'rotated' }))).userId).toBe('rotated')
  expect(fetches).toBe(2)
})

test('wrong issuer, expired, unknown-key, wrong-typ and future-iat tokens are UnauthorizedError with invalid_token', async () => {
  const k = await keyPair()
  published.splice(0, published.length, k.jwk)
  const verify = createJwtVerifier({
    jwks: { keys: [k.jwk] },
    issuer: 'civildiy-auth',
    audience: 'civildiy',
  })
  for (const token of [
    await sign(k, { iss: 'someone-else' }),
    await sign(k, { exp: Math.floor(Date.now() / 1000) - 60 }),
    await sign(await keyPair()),
    // RFC 9068: only at+jwt is an access token; a plain JWT or none at all is not.
    await sign(k, { typ: 'JWT' }),
    await sign(k, { typ: null }),
    // Issued an hour from now, with no nbf: forged, or a clock far off.
    await sign(k, { iat: Math.floor(Date.now() / 1000) + 3_600 }),
    'not.a.jwt',
  ]) {
    const err = await verify(token).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnauthorizedError)
    expect((err as UnauthorizedError).extra.headers?.['www-authenticate']).toContain(
      'invalid_token',
    )
  }
})

test('a cached token is still refused once it expires', async () => {
  const k = await keyPair()
  let now = new Date()
  const verify = createJwtVerifier({
    jwks: { keys: [k.jwk] },
    issuer: 'civildiy-auth',
    audience: 'civildiy',
    clock: () => now,
    clockToleranceSec: 0,
  })
  const token = await sign(k, { exp: Math.floor(now.getTime() / 1000) + 60 })
  expect((await verify(token)).userId).toBe('user-1')
  expect((await verify(token)).userId).toBe('user-1')
  now = new Date(now.getTime() + 120_000)
  await expect(verify(token)).rejects.toBeInstanceOf(UnauthorizedError)
})

test('a JWKS that cannot be fetched is a 503 keys_unavailable, not a 401; the same token verifies once it answers again', async () => {
  const k = await keyPair()
  let failing = true
  const flaky = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: () =>
      failing ? new Response('down', { status: 500 }) : Response.json({ keys: [k.jwk] }),
  })
  const closedPort = await (async () => {
    const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
    const port = s.port
    await s.stop(true)
    return port
  })()
  try {
    const token = await sign(k)
    for (const jwks of [
      `http://127.0.0.1:${flaky.port}/jwks`,
      `http://127.0.0.1:${closedPort}/jwks`,
    ]) {
      const verify = createJwtVerifier({ jwks, issuer: 'civildiy-auth', audience: 'civildiy' })
      const err = (await verify(token).catch((e: unknown) => e)) as AppError
      expect(err).toBeInstanceOf(AppError)
      expect(err).not.toBeInstanceOf(UnauthorizedError)
      expect([err.status, err.code, err.extra.headers?.['retry-after']]).toEqual([
        503,
        'keys_unavailable',
        '1',
      ])
    }
    const verify = createJwtVerifier({
      jwks: `http://127.0.0.1:${flaky.port}/jwks`,
      issuer: 'civildiy-auth',
      audience: 'civildiy',
    })
    expect(((await verify(token).catch((e: unknown) => e)) as AppError).status).toBe(503)
    failing = false
    expect((await verify(token)).userId).toBe('user-1')
    // A kid the reachable set does not hold is still the token's fault.
    const stranger = await keyPair()
    const err = (await verify(await sign(stranger)).catch((e: unknown) => e)) as AppError
    expect(err).toBeInstanceOf(UnauthorizedError)
    expect(err.status).toBe(401)
  } finally {
    await flaky.stop(true)
  }
})
