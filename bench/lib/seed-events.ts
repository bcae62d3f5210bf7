/**
 * The events benchmarks publish straight to Kafka to seed a read model: a post
 * created and a follow, keyed as their publishers key them (posts by author,
 * follows by follower unless a benchmark says otherwise).
 */
import { createEvent, type OutgoingEvent } from '@civildiy/kit'
import { PostCreated, PostsTopic } from '@civildiy/posts/events'
import { FollowsTopic, UserFollowed } from '@civildiy/profile/events'

/** A new post (version 1, a fresh id) by `authorId`, created at `createdAt`. */
export function postCreated(authorId: string, body: string, createdAt: Date): OutgoingEvent {
  return {
    topic: PostsTopic,
    key: authorId,
    event: createEvent(PostCreated, {
      source: '/bench',
      data: {
        postId: crypto.randomUUID(),
        authorId,
        version: 1,
        body,
        createdAt: createdAt.toISOString(),
      },
    }),
  }
}

/** `followerId` follows `followeeId` now; keyed by `key` (default the follower). */
export function userFollowed(
  followerId: string,
  followeeId: string,
  key: string = followerId,
): OutgoingEvent {
  return {
    topic: FollowsTopic,
    key,
    event: createEvent(UserFollowed, {
      source: '/bench',
      data: { followerId, followeeId, followedAt: new Date().toISOString() },
    }),
  }
}
