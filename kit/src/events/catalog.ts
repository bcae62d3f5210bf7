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
