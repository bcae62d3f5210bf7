/** Shapes of the follow endpoints. */
import { t } from 'elysia'

export const FollowPage = t.Object({
  items: t.Array(
    t.Object({ userId: t.String({ format: 'uuid' }), since: t.String({ format: 'date-time' }) }),
  ),
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: t.Union([t.String(), t.Null()]),
})
export type FollowPage = typeof FollowPage.static

export const PageQuery = t.Object({
  cursor: t.Optional(t.String({ maxLength: 200 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
})
