/** Shapes of the notification endpoints and the live socket's frames. */
import { JsonInteger } from '@civildiy/kit'
import { t } from 'elysia'

export const NotificationKind = t.Union([
  t.Literal('follow'),
  t.Literal('like'),
  t.Literal('comment'),
])
export type NotificationKind = typeof NotificationKind.static

export const Notification = t.Object({
  /** The user's own sequence number: 1, 2, 3, ... in the order they were written. */
  seq: JsonInteger({ minimum: 1 }),
  kind: NotificationKind,
  /** Who followed, liked or commented. */
  actorId: t.String({ description: 'user id (UUID)' }),
  postId: t.Union([t.String(), t.Null()]),
  commentId: t.Union([t.String(), t.Null()]),
  createdAt: t.String({ description: 'RFC 3339 date-time' }),
  read: t.Boolean(),
})
export type Notification = typeof Notification.static

export const NotificationPage = t.Object({
  items: t.Array(Notification),
  /** Pass back as `cursor` for older notifications; null on the last page. */
  nextCursor: t.Union([t.String(), t.Null()]),
  unread: JsonInteger({ minimum: 0 }),
})
export type NotificationPage = typeof NotificationPage.static

export const NotificationQuery = t.Object({
  cursor: t.Optional(
    t.String({ pattern: '^[1-9][0-9]{0,15}$', error: 'must be a nextCursor of a previous page' }),
  ),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
})

export const MarkRead = t.Object(
  {
    upTo: t.Optional(
      JsonInteger({ minimum: 1, description: 'mark read up to this seq; all when absent' }),
    ),
  },
  { additionalProperties: false, examples: [{ upTo: 42 }] },
)

export const UnreadCount = t.Object({ unread: JsonInteger({ minimum: 0 }) })

export const LiveQuery = t.Object({
  after: t.Optional(
    t.String({
      pattern: '^(0|[1-9][0-9]{0,15})$',
      error: 'must be the seq of the last notification seen (0 for all)',
    }),
  ),
})

/** A frame the live socket sends: a notification, or a heartbeat every LIVE_HEARTBEAT_MS. */
export type LiveFrame =
  | { type: 'notification'; notification: Notification }
  | { type: 'heartbeat'; at: string }
