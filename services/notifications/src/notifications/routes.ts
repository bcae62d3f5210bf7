/**
 * `GET /notifications`, `POST /notifications/read` and the WebSocket
 * `GET /notifications/live?after=<seq>`: thin controllers over the service and the
 * live hub. Every route needs the user's token.
 */
import { acceptWebSocket, type JwtVerifier, requireAuth } from '@civildiy/kit'
import { Elysia } from 'elysia'
import type { LiveHub } from '../live/live-hub.ts'
import { LiveQuery, MarkRead, NotificationPage, NotificationQuery, UnreadCount } from './model.ts'
import type { NotificationService } from './service.ts'

export function notificationRoutes(d: {
  notifications: NotificationService
  live: LiveHub
  verify: JwtVerifier
}) {
  const tags = ['notifications']
  return new Elysia({ name: 'notification-routes' })
    .use(requireAuth(d.verify))
    .get(
      '/notifications',
      ({ auth, query }) =>
        d.notifications.list(auth.userId, { cursor: query.cursor, limit: query.limit ?? 20 }),
      {
        query: NotificationQuery,
        response: { 200: NotificationPage },
        detail: { summary: 'Your notifications, newest first, with the unread count', tags },
      },
    )
    .post(
      '/notifications/read',
      async ({ auth, body }) => ({
        unread: await d.notifications.markRead(auth.userId, body.upTo),
      }),
      {
        body: MarkRead,
        response: { 200: UnreadCount },
        detail: { summary: 'Mark your notifications read, up to a seq or all', tags },
      },
    )
    .get(
      '/notifications/live',
      ({ auth, query, request }) =>
        acceptWebSocket(
          request,
          d.live.connect(auth.userId, query.after === undefined ? undefined : Number(query.after)),
        ),
      {
        query: LiveQuery,
        detail: {
          summary:
            'WebSocket: your new notifications as they come, after `after` (the last seq you saw) to resume without a gap; a heartbeat frame every 15 s; close 4429 past the per-user socket cap',
          tags,
        },
      },
    )
}
