/** Builds the profile service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, erasureRoute, type JwtVerifier } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { eraseUser } from './erasure.ts'
import { createFollowService } from './follows/service.ts'
import { profileRoutes } from './profiles/routes.ts'
import type { ProfileService } from './profiles/service.ts'

export interface ProfileDeps extends AppEnvironment {
  sql: Sql
  /** The profiles (whose `onUserRegistered` the event consumer calls too). */
  profiles: ProfileService
  verify: JwtVerifier
  /** Verifies the auth service's erasure tokens (account deletion); without it there is no erasure route. */
  verifyErasure?: JwtVerifier
  clock?: () => Date
  committed?: () => void
}

/**
 * @example const app = createApp({ ...env, sql, profiles: createProfileService(sql, clock), verify })
 */
export function createApp(d: ProfileDeps) {
  const shared = {
    sql: d.sql,
    source: '/civildiy/profile',
    committed: d.committed ?? (() => {}),
    clock: d.clock ?? (() => new Date()),
  }
  const follows = createFollowService(shared)
  const app = baseApp({
    name: 'profile',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  }).use(profileRoutes({ profiles: d.profiles, follows, verify: d.verify }))
  return d.verifyErasure
    ? app.use(erasureRoute(d.verifyErasure, (userId) => eraseUser(shared, userId)))
    : app
}
