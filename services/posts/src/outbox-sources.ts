/**
 * Which documents of the posts service carry events, where they go, and what
 * keeps them in order: a post's events are keyed by its author (a feed sees one
 * author's posts in order), a comment's by its post (a post's comment count sees
 * that post's comments in order).
 */
import type { Collection } from 'mongodb'
import type { CommentDoc } from './comments/model.ts'
import { CommentsTopic, PostsTopic } from './events.ts'
import type { OutboxSource } from './outbox-relay.ts'
import type { PostDoc } from './posts/model.ts'

/** @example startDocumentOutboxRelay({ sources: [postOutbox(posts)], publisher, logger }) */
export function postOutbox(posts: Collection<PostDoc>, topic = PostsTopic): OutboxSource<PostDoc> {
  return { collection: posts, topic, key: (d) => d.authorId, keyFields: ['authorId'] }
}

/** @example startDocumentOutboxRelay({ sources: [commentOutbox(comments)], publisher, logger }) */
export function commentOutbox(
  comments: Collection<CommentDoc>,
  topic = CommentsTopic,
): OutboxSource<CommentDoc> {
  return { collection: comments, topic, key: (d) => d.postId, keyFields: ['postId'] }
}
