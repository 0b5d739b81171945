// The Redis side of Store.consumeAll: one Lua script, so the read-check-write of every bucket is
// one atomic step however many gateway instances call at once. It mirrors rate-limit-bucket.ts
// (refill, judge, msUntilFull); keep the two in step.
//
// KEYS[i]   a bucket: a hash {tokens, at}, at in epoch ms on the Redis server's clock; absent = full
// ARGV      per bucket i: capacity, refill per second, cost (at 3i-2, 3i-1, 3i)
// returns   per bucket i: allowed (1|0), whole tokens remaining, retry after (ms), flattened
//
// The time is the server's (TIME), not the caller's, so instances with skewed clocks agree. Since
// Redis 5 a script may write after TIME (it replicates the writes, not the script); the guarded
// call opts in on older servers and is a no-op on 7.
export const CONSUME_BUCKETS = `
if redis.replicate_commands then redis.replicate_commands() end
local EPSILON = 1e-9
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local n = #KEYS
local cap, per_ms, cost, tokens, at = {}, {}, {}, {}, {}
local take = true
for i = 1, n do
  cap[i] = tonumber(ARGV[3 * i - 2])
  per_ms[i] = tonumber(ARGV[3 * i - 1]) / 1000
  cost[i] = tonumber(ARGV[3 * i])
  tokens[i], at[i] = cap[i], now
  local saved = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  if saved[1] and saved[2] then
    local saved_at = tonumber(saved[2])
    -- a server clock that stepped back refills nothing and keeps the later stamp
    tokens[i] = math.min(cap[i], tonumber(saved[1]) + math.max(0, now - saved_at) * per_ms[i])
    at[i] = math.max(now, saved_at)
  end
  if tokens[i] + EPSILON < cost[i] then take = false end
end
local reply = {}
for i = 1, n do
  local allowed = tokens[i] + EPSILON >= cost[i]
  local left = tokens[i]
  if take then
    left = math.max(0, tokens[i] - cost[i])
    if cap[i] - left <= EPSILON then
      redis.call('DEL', KEYS[i])
    else
      redis.call('HSET', KEYS[i], 'tokens', string.format('%.17g', left), 'at', string.format('%.17g', at[i]))
      -- gone when full again; counted from at (= now, unless the clock stepped back)
      redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil((cap[i] - left) / per_ms[i] + at[i] - now)))
    end
  end
  local retry = 0
  if not allowed then retry = math.ceil((cost[i] - tokens[i]) / per_ms[i]) end
  reply[3 * i - 2] = allowed and 1 or 0
  reply[3 * i - 1] = math.floor(left + EPSILON)
  reply[3 * i] = retry
end
return reply`;
