/**
 * The events services exchange: one definition per type and version, shared by
 * producers and consumers, and the topics they travel on. Keys keep one user's
 * events in order (same partition).
 */
import { Type as t } from '@sinclair/typebox'
import { defineEvent } from './envelope.ts'

/** Kafka topics. */
export const Topics = {
  /** user.registered, keyed by user id. */
  users: 'civildiy.users',
  /** user.followed / user.unfollowed, keyed by follower id. */
  follows: 'civildiy.follows',
  /** post.created / updated / deleted / liked / unliked, keyed by author id so one author's events stay ordered. */
  posts: 'civildiy.posts',
} as const

/** A user account was created (auth). */
export const UserRegistered = defineEvent(
  'user.registered',
  1,
  t.Object({
    userId: t.String({ format: 'uuid' }),
    email: t.String(),
    registeredAt: t.String({ format: 'date-time' }),
  }),
)

/** `followerId` started following `followeeId` (profile). */
export const UserFollowed = defineEvent(
  'user.followed',
  1,
  t.Object({
    followerId: t.String({ format: 'uuid' }),
    followeeId: t.String({ format: 'uuid' }),
    followedAt: t.String({ format: 'date-time' }),
  }),
)

/** `followerId` stopped following `followeeId` (profile). */
export const UserUnfollowed = defineEvent(
  'user.unfollowed',
  1,
  t.Object({
    followerId: t.String({ format: 'uuid' }),
    followeeId: t.String({ format: 'uuid' }),
    unfollowedAt: t.String({ format: 'date-time' }),
  }),
)

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
