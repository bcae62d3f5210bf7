/**
 * Fan-out as one Lua script, so adding a post to (or removing it from) every
 * follower's home feed costs one Redis round trip whatever the follower count.
 * KEYS[1] the follower set; ARGV: key prefix, score, member,
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

/**
 * Fan-out of several posts in one script: each follower's home feed gets one ZADD
 * with every post of the batch it should receive (and one size check), instead of
 * one ZADD and one ZCARD per post. Under load the same followers recur across the
 * posts of a batch, so this cuts Redis's per-command work; see fanout-batcher.ts.
 * KEYS[i] the follower set of post i; ARGV: key prefix, cap, post count, then per
 * post: score, member, the number of extra keys, the extra keys.
 */
export const FANOUT_BATCH_SCRIPT = `
local prefix, cap, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local function add(key, ...)
  if redis.call('ZADD', key, ...) > 0 and redis.call('ZCARD', key) > cap then
    redis.call('ZREMRANGEBYRANK', key, 0, -(cap + 1))
  end
end
-- A batch of one (an idle consumer) needs no grouping.
if n == 1 then
  local score, member, extras = ARGV[4], ARGV[5], tonumber(ARGV[6])
  for j = 1, extras do add(ARGV[6 + j], score, member) end
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do add(prefix .. id, score, member) end
  return 1
end
local adds, order = {}, {}
local function push(key, score, member)
  local list = adds[key]
  if not list then
    list = {}
    adds[key] = list
    order[#order + 1] = key
  end
  list[#list + 1] = score
  list[#list + 1] = member
end
local a = 4
for i = 1, n do
  local score, member, extras = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  for j = 1, extras do push(ARGV[a + 2 + j], score, member) end
  a = a + 3 + extras
  for _, id in ipairs(redis.call('SMEMBERS', KEYS[i])) do push(prefix .. id, score, member) end
end
for _, key in ipairs(order) do add(key, unpack(adds[key])) end
return n
`
