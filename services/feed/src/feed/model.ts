/** Shapes of the feed endpoints. */
import { t } from 'elysia'

export const FeedItem = t.Object({
  id: t.String({ format: 'uuid' }),
  authorId: t.String({ format: 'uuid' }),
  body: t.String(),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
  likeCount: t.Integer(),
  version: t.Integer(),
})
export type FeedItem = typeof FeedItem.static

export const FeedPage = t.Object({
  items: t.Array(FeedItem),
  nextCursor: t.Union([t.String(), t.Null()]),
})
export type FeedPage = typeof FeedPage.static

export const FeedQuery = t.Object({
  cursor: t.Optional(t.String({ maxLength: 200 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
})

export const UserIdParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a user id (UUID)' }),
})
