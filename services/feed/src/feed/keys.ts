/**
 * Version of what the read model stores (key layout, post shape). Bump it when
 * either changes: a feed service finding another version rebuilds from the events.
 * 2: posts stored as the API's FeedItem (RFC 3339 times), spliced into pages.
 * 3: posts carry `commentCount`, kept from per-post comment sets.
 */
export const READ_MODEL_FORMAT = '3'

/** Redis key names of the feed read model; everything lives under one prefix so a rebuild can drop it. */
export function feedKeys(prefix = 'feed:') {
  return {
    prefix,
    postPrefix: `${prefix}post:`,
    authorPrefix: `${prefix}author:`,
    homePrefix: `${prefix}home:`,
    post: (id: string) => `${prefix}post:${id}`,
    /** Tombstone of a deleted post (its last version), outside the post key space. */
    gone: (id: string) => `${prefix}gone:${id}`,
    global: `${prefix}global`,
    /** Ids of a post's live comments: its commentCount is this set's size. */
    comments: (postId: string) => `${prefix}comments:${postId}`,
    /** Ids of a post's deleted comments, so a late or redelivered comment.created stays deleted. */
    commentsGone: (postId: string) => `${prefix}comments-gone:${postId}`,
    home: (userId: string) => `${prefix}home:${userId}`,
    author: (userId: string) => `${prefix}author:${userId}`,
    followers: (userId: string) => `${prefix}followers:${userId}`,
    following: (userId: string) => `${prefix}following:${userId}`,
    /** Authors with more followers than the fan-out threshold: merged into home feeds at read time. */
    celebrities: `${prefix}celebrities`,
    event: (id: string) => `${prefix}event:${id}`,
    /** The change log (a stream of post ids whose stored body changed or went), for body caches. */
    changes: `${prefix}changes`,
    consumerGroup: `${prefix}meta:consumer-group`,
    /** The READ_MODEL_FORMAT the stored model was built with. */
    format: `${prefix}meta:format`,
  }
}
export type FeedKeys = ReturnType<typeof feedKeys>
