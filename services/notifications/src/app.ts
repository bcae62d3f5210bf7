/** Builds the notifications service's app from its dependencies (no I/O here). */
import { type AppEnvironment, baseApp, type JwtVerifier } from '@civildiy/kit'
import type { LiveHub } from './live/live-hub.ts'
import { notificationRoutes } from './notifications/routes.ts'
import type { NotificationService } from './notifications/service.ts'

export interface NotificationsDeps extends AppEnvironment {
  notifications: NotificationService
  live: LiveHub
  verify: JwtVerifier
}

/** @example const app = createApp({ ...env, notifications: createNotificationService(sql), live, verify }) */
export function createApp(d: NotificationsDeps) {
  return baseApp({
    name: 'notifications',
    logger: d.logger,
    production: d.production,
    checks: d.checks,
    lifecycle: d.lifecycle,
    metrics: d.metrics,
  }).use(notificationRoutes(d))
}

export type NotificationsApp = ReturnType<typeof createApp>
