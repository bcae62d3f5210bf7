/**
 * The feed's part of the account-deletion saga: every trace of the user in the
 * read model, now, without waiting for the events the other participants'
 * erasures publish (post.deleted, user.unfollowed), which do the same again
 * idempotently and are what a rebuild replays. The user's posts leave the global
 * feed, their followers' home feeds and their own timeline, tombstoned at their
 * version so a late post.created or post.updated cannot bring them back; the
 * user's home feed is emptied and the user leaves every follower and following
 * set. Idempotent.
 */
import type { FeedStore } from '../store/feed-store.ts'
import type { FeedKeys } from './keys.ts'
import type { FeedSettings } from './projector.ts'

/** @example erasureRoute(verify, createFeedEraser(store, keys, settings)) */
export function createFeedEraser(store: FeedStore, k: FeedKeys, s: FeedSettings) {
  return async (userId: string): Promise<Record<string, number>> => {
    let posts = 0
    for (const { member: postId } of await store.latest(k.author(userId), s.authorCap)) {
      const post = await store.getPost(k.post(postId))
      if (post) {
        await store.setPost(k.gone(postId), { ...post, body: '', likeCount: 0, deleted: true })
        await store.deletePost(k.post(postId))
        await store.appendChange(k.changes, postId, s.changeLogCap)
        posts++
      }
      await store.remove([k.global, k.author(userId)], postId)
      await store.fanOutRemove(k.followers(userId), k.homePrefix, [k.home(userId)], postId)
    }
    const home = await store.latest(k.home(userId), s.homeCap)
    for (const { member } of home) await store.remove([k.home(userId)], member)
    const followees = await store.setMembers(k.following(userId))
    for (const followee of followees) {
      await store.setRemove(k.followers(followee), userId)
      await store.setRemove(k.following(userId), followee)
    }
    const followers = await store.setMembers(k.followers(userId))
    for (const follower of followers) {
      await store.setRemove(k.following(follower), userId)
      await store.setRemove(k.followers(userId), follower)
    }
    await store.setRemove(k.celebrities, userId)
    return { posts, homeItems: home.length, follows: followees.length + followers.length }
  }
}
