/** Builds the notifications service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, erasureRoute, type JwtVerifier } from '@civildiy/kit'
import type { LiveHub } from './live/live-hub.ts'
import { notificationRoutes } from './notifications/routes.ts'
import type { NotificationService } from './notifications/service.ts'

export interface NotificationsDeps extends AppEnvironment {
  notifications: NotificationService
  live: LiveHub
  verify: JwtVerifier
  /** With the auth service's erasure-token verifier, the account-deletion saga's erasure route is served. */
  erasure?: { verify: JwtVerifier; erase: (userId: string) => Promise<Record<string, number>> }
}

/** @example const app = createApp({ ...env, notifications: createNotificationService(sql), live, verify }) */
export function createApp(d: NotificationsDeps) {
  const app = baseApp({
    name: 'notifications',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  }).use(notificationRoutes(d))
  return d.erasure ? app.use(erasureRoute(d.erasure.verify, d.erasure.erase)) : app
}

export type NotificationsApp = ReturnType<typeof createApp>
