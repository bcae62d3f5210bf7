/**
 * The events the profile service publishes, and their topic: the contract it owns.
 * Consumers import them from this package's `events` entry; the kit carries only
 * the transport (envelope, publishing, consuming, outbox).
 */
import { defineEvent } from '@civildiy/kit'
import { Type as t } from '@sinclair/typebox'

/** Topic of user.followed / user.unfollowed, keyed by follower id. */
export const FollowsTopic = 'civildiy.follows'

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
