/**
 * Builds the auth service's app from its dependencies (no I/O here), so tests can
 * drive it with `app.handle(new Request(...))`.
 */
import {
  baseApp,
  createJwtVerifier,
  type HealthCheck,
  type Lifecycle,
  type Logger,
} from '@civildiy/kit'
import type { Sql } from 'postgres'
import { createTokenService, type TokenSettings } from './tokens/service.ts'
import type { SigningKey } from './tokens/signing-key.ts'
import { authRoutes } from './users/routes.ts'
import { createUserService } from './users/service.ts'

export interface AuthDeps {
  sql: Sql
  key: SigningKey
  tokens: TokenSettings
  logger: Logger
  production: boolean
  clock?: () => Date
  /** Called after commits that enqueued events. */
  committed?: () => void
  checks?: () => HealthCheck[]
  lifecycle?: Lifecycle
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
