/**
 * The events the posts service publishes, and their topic: the contract it owns.
 * Consumers import them from this package's `events` entry; the kit carries only
 * the transport (envelope, publishing, consuming, outbox).
 */
import { defineEvent } from '@civildiy/kit'
import { Type as t } from '@sinclair/typebox'

/** Topic of post.created / updated / deleted / liked / unliked, keyed by author id so one author's events stay ordered. */
export const PostsTopic = 'civildiy.posts'

/** Topic of the posts service's audit events (the kit's `audit.recorded`: moderation), keyed by subject. */
export const PostsAuditTopic = 'civildiy.posts.audit'

const PostRef = {
  postId: t.String({ format: 'uuid' }),
  authorId: t.String({ format: 'uuid' }),
  /** Incremented on every change; consumers ignore events older than what they hold. */
  version: t.Integer({ minimum: 1 }),
}

/** A post was written (posts). */
export const PostCreated = defineEvent(
  'post.created',
  1,
  t.Object({ ...PostRef, body: t.String(), createdAt: t.String({ format: 'date-time' }) }),
)

/** A post's body changed (posts). */
export const PostUpdated = defineEvent(
  'post.updated',
  1,
  t.Object({ ...PostRef, body: t.String(), updatedAt: t.String({ format: 'date-time' }) }),
)

/** A post was deleted (posts). */
export const PostDeleted = defineEvent(
  'post.deleted',
  1,
  t.Object({ ...PostRef, deletedAt: t.String({ format: 'date-time' }) }),
)

/** `userId` liked a post (posts). */
export const PostLiked = defineEvent(
  'post.liked',
  1,
  t.Object({
    ...PostRef,
    userId: t.String({ format: 'uuid' }),
    likeCount: t.Integer({ minimum: 0 }),
  }),
)

/** `userId` took back a like (posts). */
export const PostUnliked = defineEvent(
  'post.unliked',
  1,
  t.Object({
    ...PostRef,
    userId: t.String({ format: 'uuid' }),
    likeCount: t.Integer({ minimum: 0 }),
  }),
)

/**
 * Topic of comment.created / updated / deleted, keyed by post id, so the comments of
 * one post stay ordered (a consumer counting them per post sees each post's in order).
 */
export const CommentsTopic = 'civildiy.comments'

const CommentRef = {
  commentId: t.String({ format: 'uuid' }),
  postId: t.String({ format: 'uuid' }),
  /** The commented post's author, the one a notification goes to. */
  postAuthorId: t.String({ format: 'uuid' }),
  authorId: t.String({ format: 'uuid' }),
  /** The comment's own version, incremented on every change. */
  version: t.Integer({ minimum: 1 }),
}

/** A comment was written on a post (posts). */
export const CommentCreated = defineEvent(
  'comment.created',
  1,
  t.Object({ ...CommentRef, body: t.String(), createdAt: t.String({ format: 'date-time' }) }),
)

/** A comment's body changed (posts). */
export const CommentUpdated = defineEvent(
  'comment.updated',
  1,
  t.Object({ ...CommentRef, body: t.String(), updatedAt: t.String({ format: 'date-time' }) }),
)

/** A comment was deleted (posts). */
export const CommentDeleted = defineEvent(
  'comment.deleted',
  1,
  t.Object({ ...CommentRef, deletedAt: t.String({ format: 'date-time' }) }),
)
