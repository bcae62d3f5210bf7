/** Builds the profile service's app from its dependencies (no I/O here). */
import {
  baseApp,
  type HealthCheck,
  type JwtVerifier,
  type Lifecycle,
  type Logger,
} from '@civildiy/kit'
import type { Sql } from 'postgres'
import { createFollowService } from './follows/service.ts'
import { profileRoutes } from './profiles/routes.ts'
import { createProfileService, type ProfileService } from './profiles/service.ts'

export interface ProfileDeps {
  sql: Sql
  verify: JwtVerifier
  logger: Logger
  production: boolean
  clock?: () => Date
  committed?: () => void
  checks?: () => HealthCheck[]
  lifecycle?: Lifecycle
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
