/**
 * Builds the auth service's app from its dependencies (no I/O here), so tests can
 * drive it with `app.handle(new Request(...))`.
 */
import { type AppEnvironment, baseApp, createJwtVerifier } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { createTokenService, type TokenSettings } from './tokens/service.ts'
import type { SigningKey } from './tokens/signing-key.ts'
import { authRoutes } from './users/routes.ts'
import { createUserService } from './users/service.ts'

export interface AuthDeps extends AppEnvironment {
  sql: Sql
  key: SigningKey
  tokens: TokenSettings
  clock?: () => Date
  /** Called after commits that enqueued events. */
  committed?: () => void
}

export function createApp(d: AuthDeps) {
  const clock = d.clock ?? (() => new Date())
  const users = createUserService({
    sql: d.sql,
    source: '/civildiy/auth',
    committed: d.committed ?? (() => {}),
    clock,
  })
  const tokens = createTokenService(d.sql, d.key, d.tokens, clock)
  const verify = createJwtVerifier({
    jwks: d.key.jwks,
    issuer: d.tokens.issuer,
    audience: d.tokens.audience,
    clock,
  })
  return baseApp({
    name: 'auth',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
  }).use(authRoutes({ users, tokens, verify, jwks: d.key.jwks }))
}
