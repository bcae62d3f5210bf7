/**
 * The Ed25519 key that signs access tokens, and the JWKS that publishes its public
 * half. The key comes from JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE; in development
 * only, a missing key is generated once and kept in DATA_DIR (with a warning). In
 * production a missing key stops the service. The `kid` is the key's RFC 7638
 * thumbprint, so rotating the key rotates the kid.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from '@civildiy/kit'
import { ConfigError } from '@civildiy/kit'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  importPKCS8,
  type JSONWebKeySet,
} from 'jose'

export interface SigningKey {
  kid: string
  privateKey: CryptoKey
  /** The public key set served at /.well-known/jwks.json. */
  jwks: JSONWebKeySet
}

/** A key the service cannot use; the message says what to set. */
/** A signing key that is missing or unusable: a configuration error (the service exits 78). */
export class SigningKeyError extends ConfigError {
  override name = 'SigningKeyError'
  constructor(message: string) {
    super([{ variable: 'JWT_PRIVATE_KEY', expected: message, got: undefined }])
    this.message = message
  }
}

/** Builds the signing key from a PKCS#8 PEM. @throws SigningKeyError when it is not an Ed25519 private key. */
export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  let privateKey: CryptoKey
  try {
    privateKey = await importPKCS8(pem, 'EdDSA', { extractable: true })
  } catch (err) {
    throw new SigningKeyError(
      `the JWT private key is not an Ed25519 PKCS#8 PEM: ${(err as Error).message}`,
    )
  }
  const jwk = await exportJWK(privateKey)
  const publicJwk = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! }
  const kid = await calculateJwkThumbprint(publicJwk)
  return { kid, privateKey, jwks: { keys: [{ ...publicJwk, kid, alg: 'EdDSA', use: 'sig' }] } }
}

/**
 * @throws SigningKeyError when no key is configured in production, or the key is unusable.
 */
export async function loadSigningKey(o: {
  pem?: string
  file?: string
  dataDir: string
  production: boolean
  logger: Logger
}): Promise<SigningKey> {
  if (o.pem) return signingKeyFromPem(o.pem.replace(/\\n/g, '\n'))
  if (o.file) {
    if (!existsSync(o.file))
      throw new SigningKeyError(`JWT_PRIVATE_KEY_FILE ${o.file} does not exist`)
    return signingKeyFromPem(readFileSync(o.file, 'utf8'))
  }
  if (o.production)
    throw new SigningKeyError(
      'no signing key: set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE (an Ed25519 PKCS#8 PEM) in production',
    )
  const file = join(o.dataDir, 'jwt-ed25519.pem')
  if (existsSync(file)) return signingKeyFromPem(readFileSync(file, 'utf8'))
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  mkdirSync(o.dataDir, { recursive: true })
  writeFileSync(file, await exportPKCS8(privateKey), { mode: 0o600 })
  chmodSync(file, 0o600)
  // Info, not a warning: this is development's designed path (production refuses it above).
  o.logger.info(
    { file },
    'no JWT signing key configured: generated a development key (never use this in production)',
  )
  return signingKeyFromPem(readFileSync(file, 'utf8'))
}
