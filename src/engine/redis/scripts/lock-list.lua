#!lua flags=no-writes
-- lock-list: the live locks of a channel, read atomically against the Redis clock.
-- KEYS[1] locks  (see lock-acquire.lua)
-- ARGV: none
-- Reply: {lockName, owner, expiresAt, lockName, owner, expiresAt, ...}
-- Invariant: a lock whose expiresAt <= now is not listed (it is absent to every caller).
local locks = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local reply = {}
local all = redis.call('HGETALL', locks)
for i = 1, #all, 2 do
  local lock = cjson.decode(all[i + 1])
  if lock.expiresAt > now then
    reply[#reply + 1] = all[i]
    reply[#reply + 1] = lock.owner
    reply[#reply + 1] = lock.expiresAt
  end
end
return reply
