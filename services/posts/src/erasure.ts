/**
 * The posts service's part of the account-deletion saga: a tombstone first (from
 * then on the user can create, comment or like nothing here), then every post
 * and comment of the user deleted the usual way (each with its post.deleted or
 * comment.deleted, so the feed, search and notifications drop them), every like
 * taken back (post.unliked: like counts fall), and the bodies of hidden ones
 * (already out of every read model) erased. Idempotent: a second run finds
 * nothing left and erases nothing.
 */
import { ForbiddenError, NotFoundError } from '@civildiy/kit'
import type { Collection } from 'mongodb'
import type { CommentDoc } from './comments/model.ts'
import type { CommentService } from './comments/service.ts'
import type { PostDoc } from './posts/model.ts'
import type { PostService } from './posts/service.ts'

/** A user erased by the saga. */
export interface ErasedUser {
  _id: string
  at: Date
}

/** @throws ForbiddenError (403) when `userId` was erased: the guard of every write. */
export function refuseErased(erased: Collection<ErasedUser>) {
  return async (userId: string) => {
    if (await erased.findOne({ _id: userId }, { projection: { _id: 1 } }))
      throw new ForbiddenError('This account was deleted')
  }
}

const live = { deletedAt: { $exists: false }, hiddenAt: { $exists: false } }
const gone = (err: unknown) => {
  if (!(err instanceof NotFoundError)) throw err
}

/** @example erasureRoute(verify, createPostsEraser({ posts, comments, erased, postService, commentService, clock })) */
export function createPostsEraser(d: {
  posts: Collection<PostDoc>
  comments: Collection<CommentDoc>
  erased: Collection<ErasedUser>
  postService: PostService
  commentService: CommentService
  clock: () => Date
}) {
  return async (userId: string): Promise<Record<string, number>> => {
    await d.erased.updateOne({ _id: userId }, { $setOnInsert: { at: d.clock() } }, { upsert: true })
    const counts = { posts: 0, comments: 0, likes: 0, hidden: 0 }
    const mine = { authorId: userId, ...live }
    for (const p of await d.posts.find(mine, { projection: { _id: 1 } }).toArray()) {
      await d.postService.remove(p._id, userId).catch(gone)
      counts.posts++
    }
    for (const c of await d.comments.find(mine, { projection: { _id: 1, postId: 1 } }).toArray()) {
      await d.commentService.remove(c.postId, c._id, userId).catch(gone)
      counts.comments++
    }
    for (const p of await d.posts
      .find({ likedBy: userId, ...live }, { projection: { _id: 1 } })
      .toArray()) {
      await d.postService.like(p._id, userId, false).catch(gone)
      counts.likes++
    }
    const hidden = { authorId: userId, hiddenAt: { $exists: true }, body: { $ne: '' } }
    counts.hidden += (await d.posts.updateMany(hidden, { $set: { body: '' } })).modifiedCount
    counts.hidden += (await d.comments.updateMany(hidden, { $set: { body: '' } })).modifiedCount
    return counts
  }
}
