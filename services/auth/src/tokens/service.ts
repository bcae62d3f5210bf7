/**
 * Token issuing: EdDSA access tokens (sub, iat, exp, iss, aud, jti, and `roles`
 * when the user has more than `user`; kid and `typ: at+jwt` in the header, RFC
 * 9068) and opaque refresh tokens stored as
 * SHA-256 hashes (not JWTs, so a refresh token can never pass for an access token). Refresh tokens
 * rotate: each use returns a new one in the same family, and presenting a token
 * that was already rotated (a stolen copy, or a replay) revokes the whole family
 * and is an audit entry (`refresh.reused`). A refresh reads the user's roles
 * again (so a granted role takes effect) and fails for a suspended account.
 * Source: OAuth 2.0 Security BCP, refresh token rotation (RFC 9700 §4.14.2).
 */
import { createHash, randomBytes } from 'node:crypto'
import { ACCESS_TOKEN_TYPE, UnauthorizedError } from '@civildiy/kit'
import { SignJWT } from 'jose'
import type { Sql } from 'postgres'
import { enqueueAudit } from '../audit/record.ts'
import { suspended } from '../users/service.ts'
import type { TokenPair } from './model.ts'
import type { SigningKey } from './signing-key.ts'

export interface TokenSettings {
  issuer: string
  audience: string
  accessTtlSec: number
  refreshTtlSec: number
}

export interface TokenService {
  /** A new access token (with the user's roles) and a refresh token that starts a new family. */
  issue(user: { id: string; roles: readonly string[] }): Promise<TokenPair>
  /**
   * Exchanges a refresh token for a new pair.
   * @throws UnauthorizedError for unknown, expired or revoked tokens, and on reuse (which revokes the family);
   *   AppError 403 `account_suspended` when the user is suspended.
   */
  refresh(refreshToken: string): Promise<TokenPair>
  /** Revokes the family of a refresh token; unknown tokens are ignored (logout is idempotent). */
  revoke(refreshToken: string): Promise<void>
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export function createTokenService(
  sql: Sql,
  key: SigningKey,
  settings: TokenSettings,
  clock: () => Date,
  committed: () => void = () => {},
): TokenService {
  const accessToken = async (userId: string, roles: readonly string[]) => {
    const now = Math.floor(clock().getTime() / 1000)
    const extra = roles.filter((r) => r !== 'user')
    return new SignJWT(extra.length ? { roles: ['user', ...extra] } : {})
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setSubject(userId)
      .setIssuer(settings.issuer)
      .setAudience(settings.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + settings.accessTtlSec)
      .setJti(Bun.randomUUIDv7())
      .sign(key.privateKey)
  }
  const newRefresh = async (userId: string, familyId: string) => {
    const token = randomBytes(32).toString('base64url')
    const expires = new Date(clock().getTime() + settings.refreshTtlSec * 1000)
    await sql`insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at) values (${Bun.randomUUIDv7()}, ${userId}, ${familyId}, ${hash(token)}, ${expires})`
    return token
  }
  const pair = async (
    userId: string,
    roles: readonly string[],
    familyId: string,
  ): Promise<TokenPair> => ({
    accessToken: await accessToken(userId, roles),
    tokenType: 'Bearer',
    expiresIn: settings.accessTtlSec,
    refreshToken: await newRefresh(userId, familyId),
  })
  return {
    issue: (user) => pair(user.id, user.roles, Bun.randomUUIDv7()),
    async refresh(refreshToken) {
      const now = clock()
      // Claim the token atomically (of two concurrent uses, exactly one rotates it),
      // reading the user's current roles and suspension in the same round trip.
      const [claimed] = await sql<
        { user_id: string; family_id: string; roles: string[]; suspended_at: Date | null }[]
      >`
        update refresh_tokens r set rotated_at = ${now}
        from users u
        where r.token_hash = ${hash(refreshToken)} and u.id = r.user_id
          and r.rotated_at is null and r.revoked_at is null and r.expires_at > ${now}
        returning r.user_id, r.family_id, u.roles, u.suspended_at`
      if (claimed?.suspended_at) {
        await sql`update refresh_tokens set revoked_at = ${now} where family_id = ${claimed.family_id} and revoked_at is null`
        throw suspended()
      }
      if (claimed) return pair(claimed.user_id, claimed.roles, claimed.family_id)
      const [known] = await sql<
        { family_id: string; user_id: string; rotated_at: Date | null; revoked_at: Date | null }[]
      >`
        select family_id, user_id, rotated_at, revoked_at from refresh_tokens where token_hash = ${hash(refreshToken)}`
      if (known?.rotated_at && !known.revoked_at) {
        await sql.begin(async (tx) => {
          await tx`update refresh_tokens set revoked_at = ${now} where family_id = ${known.family_id} and revoked_at is null`
          await enqueueAudit(tx, {
            action: 'refresh.reused',
            actorId: null,
            subject: `user:${known.user_id}`,
            reason: 'a rotated refresh token was presented again; its family is revoked',
            details: { family: known.family_id },
          })
        })
        committed()
        throw new UnauthorizedError(
          'This refresh token was already used; every session it belongs to has been revoked',
          'invalid_token',
        )
      }
      throw new UnauthorizedError(
        'The refresh token is invalid, expired or revoked',
        'invalid_token',
      )
    },
    async revoke(refreshToken) {
      await sql`update refresh_tokens set revoked_at = ${clock()} where revoked_at is null and family_id = (select family_id from refresh_tokens where token_hash = ${hash(refreshToken)})`
    },
  }
}
