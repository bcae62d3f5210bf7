/** Builds the profile service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, type JwtVerifier } from '@civildiy/kit'
import type { Sql } from 'postgres'
import { createFollowService } from './follows/service.ts'
import { profileRoutes } from './profiles/routes.ts'
import { createProfileService, type ProfileService } from './profiles/service.ts'

export interface ProfileDeps extends AppEnvironment {
  sql: Sql
  verify: JwtVerifier
  clock?: () => Date
  committed?: () => void
}

/** The app and the profile service (whose `onUserRegistered` the event consumer calls). */
export function createApp(d: ProfileDeps): {
  app: ReturnType<typeof build>
  profiles: ProfileService
} {
  const clock = d.clock ?? (() => new Date())
  const profiles = createProfileService(d.sql, clock)
  const follows = createFollowService({
    sql: d.sql,
    source: '/civildiy/profile',
    committed: d.committed ?? (() => {}),
    clock,
  })
  const build = () =>
    baseApp({
      name: 'profile',
      logger: d.logger,
      production: d.production,
      checks: d.checks,
      lifecycle: d.lifecycle,
    }).use(profileRoutes({ profiles, follows, verify: d.verify }))
  return { app: build(), profiles }
}
