/** Builds the profile service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, type JwtVerifier } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { createFollowService } from './follows/service.ts'
import { profileRoutes } from './profiles/routes.ts'
import type { ProfileService } from './profiles/service.ts'

export interface ProfileDeps extends AppEnvironment {
  sql: Sql
  /** The profiles (whose `onUserRegistered` the event consumer calls too). */
  profiles: ProfileService
  verify: JwtVerifier
  clock?: () => Date
  committed?: () => void
}

/**
 * @example const app = createApp({ ...env, sql, profiles: createProfileService(sql, clock), verify })
 */
export function createApp(d: ProfileDeps) {
  const follows = createFollowService({
    sql: d.sql,
    source: '/civildiy/profile',
    committed: d.committed ?? (() => {}),
    clock: d.clock ?? (() => new Date()),
  })
  return baseApp({
    name: 'profile',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  }).use(profileRoutes({ profiles: d.profiles, follows, verify: d.verify }))
}
