#!lua
-- lock-release-owner: removes every live lock one owner holds on a channel.
-- KEYS[1] locks  (see lock-acquire.lua)
-- ARGV[1] owner
-- Reply: {lockName, expiresAt, lockName, expiresAt, ...}
-- Invariant: lapsed locks stay for the sweep, which announces them as expired.
local locks = KEYS[1]
local owner = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local reply = {}
local all = redis.call('HGETALL', locks)
for i = 1, #all, 2 do
  local lock = cjson.decode(all[i + 1])
  if lock.owner == owner and lock.expiresAt > now then
    redis.call('HDEL', locks, all[i])
    reply[#reply + 1] = all[i]
    reply[#reply + 1] = lock.expiresAt
  end
end
return reply
