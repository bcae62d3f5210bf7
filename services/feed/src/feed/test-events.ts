/**
 * Post, comment and follow events for the feed's tests, with times that move forward one
 * second per event (so every post has its own score).
 */
import { randomUUID } from 'node:crypto'
import { createEvent } from '@civildiy/kit'
import {
  CommentCreated,
  CommentDeleted,
  CommentUpdated,
  PostCreated,
  PostDeleted,
  PostLiked,
  PostUpdated,
} from '@civildiy/posts/events'
import { UserFollowed, UserUnfollowed } from '@civildiy/profile/events'

const src = '/test'
let clock = Date.parse('2026-05-01T00:00:00Z')
const at = () => {
  clock += 1_000
  return new Date(clock).toISOString()
}
export const created = (postId: string, authorId: string, body = `post ${postId.slice(0, 4)}`) =>
  createEvent(PostCreated, {
    source: src,
    data: { postId, authorId, version: 1, body, createdAt: at() },
  })
export const updated = (postId: string, authorId: string, version: number, body: string) =>
  createEvent(PostUpdated, {
    source: src,
    data: { postId, authorId, version, body, updatedAt: at() },
  })
export const deleted = (postId: string, authorId: string, version: number) =>
  createEvent(PostDeleted, { source: src, data: { postId, authorId, version, deletedAt: at() } })
export const liked = (postId: string, authorId: string, version: number, likeCount: number) =>
  createEvent(PostLiked, {
    source: src,
    data: { postId, authorId, version, userId: randomUUID(), likeCount },
  })
export const follow = (followerId: string, followeeId: string) =>
  createEvent(UserFollowed, { source: src, data: { followerId, followeeId, followedAt: at() } })
export const unfollow = (followerId: string, followeeId: string) =>
  createEvent(UserUnfollowed, { source: src, data: { followerId, followeeId, unfollowedAt: at() } })
/** A comment's events; `postAuthorId` and `authorId` are made up (the feed does not use them). */
export const comment = (postId: string, commentId = randomUUID()) => {
  const ref = { commentId, postId, postAuthorId: randomUUID(), authorId: randomUUID() }
  return {
    commentId,
    created: () =>
      createEvent(CommentCreated, {
        source: src,
        data: { ...ref, version: 1, body: 'nice', createdAt: at() },
      }),
    updated: (version: number) =>
      createEvent(CommentUpdated, {
        source: src,
        data: { ...ref, version, body: 'nicer', updatedAt: at() },
      }),
    deleted: (version: number) =>
      createEvent(CommentDeleted, { source: src, data: { ...ref, version, deletedAt: at() } }),
  }
}
