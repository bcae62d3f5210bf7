/**
 * A post's comment count, kept in the stored post itself (`commentCount`, always the
 * last member of its JSON) so a feed page stays the stored JSON spliced together.
 * The count is the size of the post's set of live comment ids; a second set keeps
 * the ids of deleted comments, so a comment.created redelivered or arriving after
 * its comment.deleted cannot bring the comment back. Both scripts read the set and
 * write the post in one atomic step, so a comment event and a post edit applied by
 * different feed instances (the posts and comments topics are partitioned apart)
 * cannot lose each other's write.
 */

/** Replaces or appends `,"commentCount":<n>` at the end of a post's JSON. */
const WITH_COUNT = `
local function withCount(json, n)
  local base = (string.gsub(json, ',"commentCount":%d+}$', '}'))
  return string.sub(base, 1, -2) .. ',"commentCount":' .. n .. '}'
end
`

/**
 * Records one comment's state and refreshes the post's count.
 * KEYS: post, live comment ids, deleted comment ids; ARGV: comment id, '1' when deleted.
 * Returns 1 when the stored post changed, 0 otherwise (no post yet, or the same count).
 */
export const COMMENT_SCRIPT = `${WITH_COUNT}
local id = ARGV[1]
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[3], id)
  redis.call('SREM', KEYS[2], id)
elseif redis.call('SISMEMBER', KEYS[3], id) == 0 then
  redis.call('SADD', KEYS[2], id)
end
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local updated = withCount(json, redis.call('SCARD', KEYS[2]))
if updated == json then return 0 end
redis.call('SET', KEYS[1], updated)
return 1
`

/** Stores a post (ARGV[1], JSON without commentCount) with the count of KEYS[2]. KEYS: post, live comment ids. */
export const COUNTED_POST_SCRIPT = `${WITH_COUNT}
redis.call('SET', KEYS[1], withCount(ARGV[1], redis.call('SCARD', KEYS[2])))
return 1
`

/** A post's JSON without its count, for the scripts above to add it. */
export function uncountedJson(post: { commentCount?: number }): string {
  const { commentCount: _count, ...rest } = post
  return JSON.stringify(rest)
}
