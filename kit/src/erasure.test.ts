/**
 * The participant's erasure route: only an erasure token for that very user
 * erases; an access token (however valid), a token for another user, or none at
 * all erases nothing.
 */
import { expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { ERASURE_AUDIENCE, ERASURE_TOKEN_TYPE, erasureRoute } from './erasure.ts'
import { createJwtVerifier } from './jwt.ts'
import { baseApp } from './service.ts'
import { silentLogger } from './testing/silent-logger.ts'
import { createTestIssuer } from './testing/token-issuer.ts'

test('only an erasure token for that user erases', async () => {
  const issuer = await createTestIssuer()
  const verify = createJwtVerifier({
    jwks: issuer.jwks,
    issuer: 'civildiy-auth',
    audience: ERASURE_AUDIENCE,
    type: ERASURE_TOKEN_TYPE,
  })
  const erased: string[] = []
  const app = baseApp({ name: 'participant', logger: silentLogger(), production: true }).use(
    erasureRoute(verify, async (userId) => {
      erased.push(userId)
      return { things: 2 }
    }),
  )
  const erasure = (sub: string, typ = ERASURE_TOKEN_TYPE, aud = ERASURE_AUDIENCE) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: issuer.kid, typ })
      .setSubject(sub)
      .setIssuer('civildiy-auth')
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(issuer.privateKey)
  const user = crypto.randomUUID()
  const send = async (token?: string) => {
    const res = await app.handle(
      new Request(`http://localhost/internal/users/${user}`, {
        method: 'DELETE',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      }),
    )
    return { status: res.status, body: await res.json() }
  }
  expect((await send()).status).toBe(401)
  expect((await send(await issuer.tokenFor(user))).status).toBe(401)
  expect((await send(await erasure(user, 'at+jwt', ERASURE_AUDIENCE))).status).toBe(401)
  expect((await send(await erasure(user, ERASURE_TOKEN_TYPE, 'civildiy'))).status).toBe(401)
  expect((await send(await erasure(crypto.randomUUID()))).status).toBe(403)
  expect(erased).toEqual([])
  expect(await send(await erasure(user))).toEqual({
    status: 200,
    body: { userId: user, erased: { things: 2 } },
  })
  expect(erased).toEqual([user])
})
