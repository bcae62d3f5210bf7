/**
 * The feed page as one Lua script, so a page (the timeline, the merged timelines
 * of followed high-follower authors, and every post body) costs one Redis round
 * trip. KEYS: timeline, following set, celebrities set. ARGV: after-score (or ''),
 * after-id, limit, author-timeline prefix, post prefix, merge flag ('1'/'0').
 * Returns a flat array: id, score, post JSON, id, score, post JSON, ...
 * Scores come back as Redis printed them, so ms timestamps keep full precision.
 * Only live posts are stored under the post prefix (tombstones live elsewhere), so
 * a missing body simply means the id is skipped.
 */
import type { PageQuery, PageRow } from './feed-store.ts'

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
local afterN = tonumber(afterScore)
local max = '+inf'
if afterScore ~= '' then max = afterScore end
-- At or before the cursor: same score, id not below it (ties come id-descending).
local function before(id, s)
  return afterN ~= nil and tonumber(s) == afterN and id >= afterId
end
local celebrities = {}
if ARGV[6] == '1' then celebrities = redis.call('SINTER', KEYS[2], KEYS[3]) end
local out, n = {}, 0
-- Appends id, score and body for each of the ids whose post still exists (a missing
-- body is a deleted post), stopping when the page is full.
local function appendBodies(ids, keys, scores)
  if #keys == 0 then return end
  local docs = redis.call('MGET', unpack(keys))
  for i = 1, #keys do
    if n >= limit then return end
    if docs[i] then
      out[#out + 1] = ids[i]
      out[#out + 1] = scores[i]
      out[#out + 1] = docs[i]
      n = n + 1
    end
  end
end

if #celebrities == 0 then
  -- One timeline, already in page order: read it in chunks, bodies with one MGET per
  -- chunk, until the page is full (a missing body means a deleted post: read on).
  local offset, chunk = 0, limit + 1
  while n < limit do
    local rows = redis.call('ZREVRANGEBYSCORE', KEYS[1], max, '-inf', 'WITHSCORES', 'LIMIT', offset, chunk)
    if #rows == 0 then break end
    local ids, keys, scores = {}, {}, {}
    for i = 1, #rows, 2 do
      if not before(rows[i], rows[i + 1]) then
        ids[#ids + 1] = rows[i]
        keys[#keys + 1] = ARGV[5] .. rows[i]
        scores[#scores + 1] = rows[i + 1]
      end
    end
    appendBodies(ids, keys, scores)
    if #rows < chunk * 2 then break end
    offset = offset + chunk
  end
  return out
end

-- Fan-out on read: merge the home timeline with the followed high-follower authors'
-- timelines, each read "want" rows deep and already newest first, so a k-way merge of
-- their heads gives page order without building and sorting a table per item. A
-- timeline that returned all "want" rows may go on past its last row: the merge stops
-- when it runs out, and everything is read twice as deep when the page is not full.
local sources = { KEYS[1] }
for _, author in ipairs(celebrities) do sources[#sources + 1] = ARGV[4] .. author end
local want = limit + 1
while true do
  local lists, pos, heads, deeper = {}, {}, {}, {}
  for j, key in ipairs(sources) do
    local rows = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, want)
    lists[j], pos[j], deeper[j] = rows, 1, #rows == want * 2
    if #rows > 0 then heads[j] = tonumber(rows[2]) end
  end
  -- Candidates are taken in batches of what the page still lacks, so bodies are read
  -- only for ids that can make the page (a missing body is a deleted post: read on).
  local seen, blocked, ended = {}, false, false
  out, n = {}, 0
  while n < limit and not ended do
    local ids, keys, scores = {}, {}, {}
    while #ids < limit - n do
      local best, bestScore, bestId = nil, nil, nil
      for j = 1, #lists do
        local p = pos[j]
        if p > #lists[j] then
          if deeper[j] then blocked = true end
        else
          local s, id = heads[j], lists[j][p]
          if best == nil or s > bestScore or (s == bestScore and id > bestId) then
            best, bestScore, bestId = j, s, id
          end
        end
      end
      if blocked or best == nil then
        ended = true
        break
      end
      local rows, p = lists[best], pos[best]
      pos[best] = p + 2
      if p + 2 <= #rows then heads[best] = tonumber(rows[p + 3]) end
      if not seen[bestId] and (afterN == nil or not before(bestId, rows[p + 1])) then
        seen[bestId] = true
        ids[#ids + 1] = bestId
        keys[#keys + 1] = ARGV[5] .. bestId
        scores[#scores + 1] = rows[p + 1]
      end
    end
    appendBodies(ids, keys, scores)
  end
  if n >= limit or not blocked then return out end
  want = want * 2
end
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

/** Parses the script's flat reply: id, score, post JSON, repeated. */
export function parsePageReply(reply: unknown): PageRow[] {
  const flat = (reply ?? []) as unknown[]
  const out: PageRow[] = []
  for (let i = 0; i + 2 < flat.length; i += 3)
    out.push({ id: String(flat[i]), score: Number(flat[i + 1]), json: String(flat[i + 2]) })
  return out
}
