/**
 * Signs access tokens the way the auth service does, for suites of other services:
 * an Ed25519 key, its JWKS, and a verifier that trusts it.
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  SignJWT,
} from 'jose'
import { ACCESS_TOKEN_TYPE, createJwtVerifier, type JwtVerifier } from '../jwt.ts'

export interface TestIssuer {
  jwks: JSONWebKeySet
  verify: JwtVerifier
  /** A valid access token for `userId` (15 min), with optional overrides. */
  tokenFor(
    userId: string,
    o?: { expiresInSec?: number; issuer?: string; audience?: string; roles?: string[] },
  ): Promise<string>
  privateKey: CryptoKey
  kid: string
}

export async function createTestIssuer(
  issuer = 'civildiy-auth',
  audience = 'civildiy',
): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
    crv: 'Ed25519',
    extractable: true,
  })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }
  return {
    jwks,
    kid,
    privateKey,
    verify: createJwtVerifier({ jwks, issuer, audience }),
    tokenFor: (userId, o = {}) =>
      new SignJWT(o.roles ? { roles: o.roles } : {})
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: ACCESS_TOKEN_TYPE })
        .setSubject(userId)
        .setIssuer(o.issuer ?? issuer)
        .setAudience(o.audience ?? audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + (o.expiresInSec ?? 900))
        .sign(privateKey),
  }
}
