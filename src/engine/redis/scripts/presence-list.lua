#!lua flags=no-writes
-- presence-list: the unexpired members of a room, read atomically.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen   (see presence-join.lua)
-- ARGV: none
-- Reply: {'OK', connId, meta, state, connId, meta, state, ...}
-- Invariant: a connection whose expiresAt <= now (Redis clock) is not listed.
local conns, states, seen = KEYS[1], KEYS[2], KEYS[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- #include last-seen.lua

local reply = {'OK'}
local live = redis.call('ZRANGE', seen, '(' .. now, '+inf', 'BYSCORE', 'WITHSCORES')
for i = 1, #live, 2 do
  local id = live[i]
  reply[#reply + 1] = id
  reply[#reply + 1] = withLastSeen(redis.call('HGET', conns, id), live[i + 1])
  reply[#reply + 1] = redis.call('HGET', states, id)
end
return reply
