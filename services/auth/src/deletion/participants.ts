/**
 * The saga's participants over HTTP: each a service found through Consul (or
 * given a URL), called at `DELETE /internal/users/:id` with an erasure token
 * signed by this service's key (`typ: erasure+jwt`, audience civildiy-erasure,
 * one minute), over TLS with this service's client certificate when the
 * participant registered as HTTPS.
 */
import { ERASURE_AUDIENCE, ERASURE_TOKEN_TYPE } from '@civildiy/kit'
import { SignJWT } from 'jose'
import type { SigningKey } from '../tokens/signing-key.ts'
import type { Participant } from './saga.ts'

/**
 * @param baseUrl the participant's base URL, looked up on each call (instances move).
 * @example httpParticipant('posts', () => discoverService(consul, 'posts'), eraser, () => tlsInit)
 */
export function httpParticipant(
  name: string,
  baseUrl: () => Promise<string>,
  token: (userId: string) => Promise<string>,
  init: () => RequestInit = () => ({}),
): Participant {
  return {
    name,
    async erase(userId) {
      const res = await fetch(`${await baseUrl()}/internal/users/${userId}`, {
        ...init(),
        method: 'DELETE',
        headers: { authorization: `Bearer ${await token(userId)}` },
        signal: AbortSignal.timeout(30_000),
      })
      if (!res.ok)
        throw new Error(`${name} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
      return ((await res.json()) as { erased: Record<string, number> }).erased
    },
  }
}

/** Signs erasure tokens: what a participant accepts as "the auth service asks you to erase this user". */
export function erasureTokens(key: SigningKey, issuer: string) {
  return (userId: string) => {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ERASURE_TOKEN_TYPE })
      .setSubject(userId)
      .setIssuer(issuer)
      .setAudience(ERASURE_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti(Bun.randomUUIDv7())
      .sign(key.privateKey)
  }
}
