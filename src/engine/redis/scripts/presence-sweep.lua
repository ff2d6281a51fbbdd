#!lua
-- presence-sweep: removes the expired connections of one room, at most ARGV[1] of them.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] users  KEYS[5] done
--   (see presence-join.lua)
-- ARGV[1] maxConns  ARGV[2] lifetime of `done` (ms)
-- Reply: {'OK', nextExpiry|'', roomEmpty 0|1, connId, meta, state, userGone 0|1, connId, ...}
--   nextExpiry: the earliest expiresAt left in the room ('' = the room is empty)
-- Invariant: exactly once. A connection is removed and reported only by the call that
-- removes it (a resent call gets that call's stored reply), so concurrent sweepers and
-- lost replies never report a connection twice or never.
local conns, states, seen, users, done = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- #include last-seen.lua

local stored = redis.call('GET', done)
if stored then
  return cjson.decode(stored)
end
local reply = {'OK', '', 0}
local expired =
  redis.call('ZRANGE', seen, '-inf', now, 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[1]), 'WITHSCORES')
for i = 1, #expired, 2 do
  local id = expired[i]
  redis.call('ZREM', seen, id)
  local raw = redis.call('HGET', conns, id)
  if raw then
    local meta = cjson.decode(raw)
    local userGone = 0
    if redis.call('HINCRBY', users, meta.u, -1) <= 0 then
      redis.call('HDEL', users, meta.u)
      userGone = 1
    end
    reply[#reply + 1] = id
    reply[#reply + 1] = withLastSeen(raw, expired[i + 1])
    reply[#reply + 1] = redis.call('HGET', states, id) or '{}'
    reply[#reply + 1] = userGone
    redis.call('HDEL', conns, id)
    redis.call('HDEL', states, id)
  end
end
local next = redis.call('ZRANGE', seen, 0, 0, 'WITHSCORES')
if next[2] then
  reply[2] = next[2]
end
if #reply > 3 then
  reply[3] = redis.call('HLEN', users) == 0 and 1 or 0
  redis.call('SET', done, cjson.encode(reply), 'PX', ARGV[2])
end
return reply
