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
