/** Shapes of the comment endpoints and the stored document. */
import { JsonInteger } from '@civildiy/kit'
import { t } from 'elysia'
import type { ModerationRecord, OutboxEntry } from '../posts/model.ts'

/** Body limits, checked after trimming. */
export const COMMENT_MIN = 1
export const COMMENT_MAX = 2_000

export const Comment = t.Object({
  id: t.String({ format: 'uuid' }),
  postId: t.String({ format: 'uuid' }),
  authorId: t.String({ format: 'uuid' }),
  body: t.String(),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
  version: JsonInteger(),
})
export type Comment = typeof Comment.static

export const CommentInput = t.Object(
  { body: t.String({ maxLength: COMMENT_MAX * 2, error: 'must be a string' }) },
  { additionalProperties: false, examples: [{ body: 'Which hinges did you use?' }] },
)

export const CommentPage = t.Object({
  items: t.Array(Comment),
  nextCursor: t.Union([t.String(), t.Null()]),
})
export type CommentPage = typeof CommentPage.static

export const CommentParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a post id (UUID)' }),
  commentId: t.String({ format: 'uuid', error: 'must be a comment id (UUID)' }),
})

export const CommentListQuery = t.Object({
  cursor: t.Optional(t.String({ maxLength: 200 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
})

/**
 * A comment as stored: its own aggregate, beside the post it belongs to, with its
 * events in its own outbox (published to `civildiy.comments`, keyed by post). A
 * deleted comment is kept (`deletedAt`) until its comment.deleted event is out.
 */
export interface CommentDoc {
  _id: string
  postId: string
  /** Copied from the post when written: consumers (notifications) need it. */
  postAuthorId: string
  authorId: string
  body: string
  createdAt: Date
  updatedAt: Date
  version: number
  deletedAt?: Date
  /** Hidden by a moderator: kept, but gone from every read like a deleted comment. */
  hiddenAt?: Date
  moderation?: ModerationRecord
  outbox: OutboxEntry[]
  outboxPending?: true
}
