/** Shapes of the feed endpoints. */
import { JsonInteger } from '@civildiy/kit'
import { t } from 'elysia'

// Output formats are documented, not checked: Elysia validates every response, and
// uuid/date-time format checks on 20 items doubled the cost of a page (45 of 99 µs).
export const FeedItem = t.Object({
  id: t.String({ description: 'post id (UUID)' }),
  authorId: t.String({ description: 'author id (UUID)' }),
  body: t.String(),
  createdAt: t.String({ description: 'RFC 3339 date-time' }),
  updatedAt: t.String({ description: 'RFC 3339 date-time' }),
  likeCount: JsonInteger(),
  commentCount: JsonInteger({ description: 'live comments on the post' }),
  version: JsonInteger(),
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
