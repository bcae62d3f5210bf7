/**
 * Builds the auth service's app from its dependencies (no I/O here), so tests can
 * drive it with `app.handle(new Request(...))`.
 */
import { type AppEnvironment, baseApp, createJwtVerifier } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { adminRoutes, deniedUsersRoute } from './admin/routes.ts'
import { createAdminService } from './admin/service.ts'
import { auditRoutes } from './audit/routes.ts'
import { createAuditService } from './audit/service.ts'
import { deletionRoutes } from './deletion/routes.ts'
import { createDeletionService } from './deletion/service.ts'
import { AUTH_SOURCE } from './events.ts'
import type { LoginThrottle } from './login-throttle/login-throttle.ts'
import { createMemoryThrottle } from './login-throttle/memory-throttle.ts'
import { createTokenService, type TokenSettings } from './tokens/service.ts'
import type { SigningKey } from './tokens/signing-key.ts'
import { createPasswordHasher, type PasswordHasher } from './users/password-hasher.ts'
import { authRoutes } from './users/routes.ts'
import { createUserService } from './users/service.ts'

export interface AuthDeps extends AppEnvironment {
  sql: Sql
  key: SigningKey
  tokens: TokenSettings
  clock?: () => Date
  /** Called after commits that enqueued events. */
  committed?: () => void
  /** Default: argon2id bounded to the number of cores. */
  hasher?: PasswordHasher
  /** Default: in process, 5 failures per account per 15 minutes. */
  throttle?: LoginThrottle
  /** AUTH_ADMIN_BOOTSTRAP_TOKEN: lets a signed-in user become the first admin. Unset: bootstrap disabled. */
  adminBootstrapToken?: string
  /** Account deletion: the grace period and the participants (saga steps). Default: 1 day; profile, posts, notifications, feed. */
  deletion?: { graceSec: number; participants: readonly string[]; requested?: () => void }
}

export function createApp(d: AuthDeps) {
  const clock = d.clock ?? (() => new Date())
  const committed = d.committed ?? (() => {})
  const hasher = d.hasher ?? createPasswordHasher()
  const users = createUserService({
    sql: d.sql,
    source: AUTH_SOURCE,
    committed,
    clock,
    hasher,
    throttle: d.throttle ?? createMemoryThrottle(),
  })
  const tokens = createTokenService(d.sql, d.key, d.tokens, clock, committed)
  const deletions = createDeletionService({
    sql: d.sql,
    confirmPassword: users.confirmPassword,
    clock,
    committed,
    graceSec: d.deletion?.graceSec ?? 86_400,
    participants: d.deletion?.participants ?? ['profile', 'posts', 'notifications', 'feed'],
  })
  const admin = createAdminService({
    sql: d.sql,
    clock,
    committed,
    bootstrapToken: d.adminBootstrapToken,
  })
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
    metrics: d.metrics,
  })
    .use(authRoutes({ users, tokens, verify, jwks: d.key.jwks }))
    .use(adminRoutes({ admin, verify }))
    .use(auditRoutes({ audit: createAuditService(d.sql), verify }))
    .use(deletionRoutes({ deletions, verify, requested: d.deletion?.requested }))
    .use(deniedUsersRoute({ admin, deletions, accessTtlSec: d.tokens.accessTtlSec }))
}
