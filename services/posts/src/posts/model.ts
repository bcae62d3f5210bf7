/** Shapes of the post endpoints and the stored document. */
import { type CloudEvent, currentRequestId, JsonInteger, traceHeaders } from '@civildiy/kit'
import { t } from 'elysia'
import { PostsAuditTopic } from '../events.ts'

/** Body limits, checked after trimming. */
export const BODY_MIN = 1
export const BODY_MAX = 5_000

export const Post = t.Object({
  id: t.String({ format: 'uuid' }),
  authorId: t.String({ format: 'uuid' }),
  body: t.String(),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
  version: JsonInteger(),
  likeCount: JsonInteger(),
})
export type Post = typeof Post.static

export const PostInput = t.Object(
  { body: t.String({ maxLength: BODY_MAX * 2, error: 'must be a string' }) },
  { additionalProperties: false, examples: [{ body: 'Fixed the garden fence today.' }] },
)
export type PostInput = typeof PostInput.static

export const PostPage = t.Object({
  items: t.Array(Post),
  nextCursor: t.Union([t.String(), t.Null()]),
})
export type PostPage = typeof PostPage.static

export const PostIdParams = t.Object({
  id: t.String({ format: 'uuid', error: 'must be a post id (UUID)' }),
})

export const ListQuery = t.Object({
  author: t.Optional(t.String({ format: 'uuid', error: 'must be a user id (UUID)' })),
  cursor: t.Optional(t.String({ maxLength: 200 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20 })),
})

/**
 * A post as stored. `outbox` holds events written in the same single-document
 * update as the change they describe (MongoDB updates one document atomically);
 * the relay publishes them and pulls them off. `likedBy` makes likes idempotent per
 * user in that same update. A deleted post is kept (`deletedAt`) until its
 * post.deleted event is out, then removed.
 */
export interface PostDoc {
  _id: string
  authorId: string
  body: string
  createdAt: Date
  updatedAt: Date
  version: number
  likeCount: number
  likedBy: string[]
  /** `<authorId>:<Idempotency-Key>`, unique. */
  idempotencyKey?: string
  deletedAt?: Date
  /** Hidden by a moderator: kept, but gone from every read like a deleted post. */
  hiddenAt?: Date
  moderation?: ModerationRecord
  outbox: OutboxEntry[]
  outboxPending?: true
}

/** The context of the request that wrote an event, published with it (not part of the envelope). */
export interface EventContext {
  requestId?: string
  /** W3C traceparent of the request that wrote the event. */
  traceparent?: string
}

/**
 * An outbox entry: the event as it will be published, its own request's context,
 * and its topic when not the document's (audit events go to the audit topic).
 */
export type OutboxEntry = CloudEvent & { context?: EventContext; topic?: string }

/** What a moderator did to a post or comment, kept on a hidden one. */
export interface ModerationRecord {
  action: 'hide' | 'remove'
  reason: string
  moderatorId: string
  at: Date
}

/**
 * The outbox entry for `event`, carrying the current request's id, so the relay
 * publishes each event with the request that wrote it, whatever batch it goes in;
 * `topic` when it goes elsewhere than the document's topic.
 */
export function outboxEntry(event: CloudEvent, topic?: string): OutboxEntry {
  const requestId = currentRequestId()
  const { traceparent } = traceHeaders()
  const entry: OutboxEntry = topic ? { ...event, topic } : event
  if (!requestId && !traceparent) return entry
  return {
    ...entry,
    context: { ...(requestId ? { requestId } : {}), ...(traceparent ? { traceparent } : {}) },
  }
}

/** A change's outbox entries: its event, then its audit event (to the audit topic) if any. */
export function outboxEntries(change: { event: CloudEvent; audit?: CloudEvent }) {
  return [
    outboxEntry(change.event),
    ...(change.audit ? [outboxEntry(change.audit, PostsAuditTopic)] : []),
  ]
}
