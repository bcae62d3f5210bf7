/**
 * The feed page as one Lua script, so a page (the timeline, the merged timelines
 * of followed high-follower authors, and every post body) costs one Redis round
 * trip. KEYS: timeline, following set, celebrities set. ARGV: after-score (or ''),
 * after-id, limit, author-timeline prefix, post prefix, merge flag ('1'/'0').
 * Returns a flat array: score, post JSON, score, post JSON, ...
 * Scores come back as Redis printed them, so ms timestamps keep full precision.
 * Only live posts are stored under the post prefix (tombstones live elsewhere), so
 * a missing body simply means the id is skipped.
 */
import type { FeedPost, PageQuery } from './feed-store.ts'

/**
 * Fan-out on the server: KEYS[1] the follower set; ARGV: key prefix, score, member,
 * cap, then extra keys. Adds the member to every follower's set and every extra key,
 * trimming each to `cap`. With ARGV[2] = '' it removes the member instead.
 */
export const FANOUT_SCRIPT = `
local prefix, score, member, cap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local function apply(key)
  if score == '' then
    redis.call('ZREM', key, member)
  else
    -- ZCARD is O(1); trim only the sets that are actually over their cap.
    if redis.call('ZADD', key, score, member) == 1 and redis.call('ZCARD', key) > cap then
      redis.call('ZREMRANGEBYRANK', key, 0, -(cap + 1))
    end
  end
end
for i = 5, #ARGV do apply(ARGV[i]) end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do apply(prefix .. id) end
return 1
`

export const PAGE_SCRIPT = `
local limit = tonumber(ARGV[3])
local afterScore = ARGV[1]
local afterId = ARGV[2]
local max = '+inf'
if afterScore ~= '' then max = afterScore end
local items = {}
local function collect(key)
  local rows = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 64)
  for i = 1, #rows, 2 do
    local id, s = rows[i], rows[i + 1]
    local n = tonumber(s)
    if not (afterScore ~= '' and n == tonumber(afterScore) and id >= afterId) then
      table.insert(items, { id, n, s })
    end
  end
end
collect(KEYS[1])
if ARGV[6] == '1' then
  for _, author in ipairs(redis.call('SINTER', KEYS[2], KEYS[3])) do collect(ARGV[4] .. author) end
end
table.sort(items, function(x, y)
  if x[2] ~= y[2] then return x[2] > y[2] end
  return x[1] > y[1]
end)
local out, seen, n = {}, {}, 0
for _, it in ipairs(items) do
  if n >= limit then break end
  if not seen[it[1]] then
    seen[it[1]] = true
    local json = redis.call('GET', ARGV[5] .. it[1])
    if json then
      table.insert(out, it[3])
      table.insert(out, json)
      n = n + 1
    end
  end
end
return out
`

/** KEYS and ARGV of the script for a query. */
export function pageScriptArgs(q: PageQuery): { keys: string[]; args: string[] } {
  return {
    keys: [q.timeline, q.merge?.following ?? q.timeline, q.merge?.celebrities ?? q.timeline],
    args: [
      q.after ? String(q.after.score) : '',
      q.after?.id ?? '',
      String(q.limit),
      q.merge?.authorTimelinePrefix ?? '',
      q.postPrefix,
      q.merge ? '1' : '0',
    ],
  }
}

/** Parses the script's flat reply. */
export function parsePageReply(reply: unknown): { post: FeedPost; score: number }[] {
  const flat = (reply ?? []) as string[]
  const out: { post: FeedPost; score: number }[] = []
  for (let i = 0; i + 1 < flat.length; i += 2)
    out.push({ score: Number(flat[i]), post: JSON.parse(String(flat[i + 1])) as FeedPost })
  return out
}
