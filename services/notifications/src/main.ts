/**
 * The notifications service: follow, like and comment events become each user's
 * notifications in PostgreSQL, read over HTTP and pushed over a WebSocket.
 */
import { defineService } from '@civildiy/kit'
import { CommentsTopic, PostsTopic } from '@civildiy/posts/events'
import { FollowsTopic } from '@civildiy/profile/events'
import { createApp } from './app.ts'
import { NotificationsConfig, NotificationsProductionNeeds } from './config.ts'
import { eraseUser } from './erasure.ts'
import { createLiveHub } from './live/live-hub.ts'
import { migrations } from './migrations.ts'
import { createNotificationService } from './notifications/service.ts'
import { createNotificationProjector } from './projector/projector.ts'

await defineService({
  name: 'notifications',
  config: NotificationsConfig,
  configOptions: NotificationsProductionNeeds,
  async build(ctx) {
    const c = ctx.config
    const sql = await ctx.postgres(migrations)
    const notifications = createNotificationService(sql)
    const live = createLiveHub({
      notifications,
      maxPerUser: c.LIVE_SOCKETS_PER_USER,
      heartbeatMs: c.LIVE_HEARTBEAT_MS,
      pollMs: c.LIVE_POLL_MS,
      logger: ctx.logger,
      metrics: ctx.metrics,
    })
    ctx.use({ name: 'live sockets', close: async () => live.close() })
    ctx.events({
      consumer: {
        // Read state is the users' own data, not derived from the topics: one
        // group for good, never rebuilt from the beginning.
        groupId: 'notifications',
        topics: [FollowsTopic, PostsTopic, CommentsTopic],
        deadLetterTopic: 'civildiy.notifications.dlq',
        handlers: createNotificationProjector(sql, live.wake).handlers,
      },
    })
    return createApp({
      ...ctx.app,
      notifications,
      live,
      verify: ctx.verifier(),
      erasure: { verify: ctx.erasureVerifier(), erase: (userId) => eraseUser(sql, userId) },
    })
  },
})
