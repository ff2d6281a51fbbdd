#!lua
-- lock-release-owner: removes every live lock one owner holds on a channel.
-- KEYS[1] locks  (see lock-acquire.lua)
-- KEYS[2] done   string: this request's reply once it changed something
-- ARGV[1] owner  ARGV[2] lifetime of the done key in ms
-- Reply: {lockName, expiresAt, lockName, expiresAt, ...}
-- Invariants: lapsed locks stay for the sweep, which announces them as expired; a request
-- run again answers its first reply, so each release is reported once.
local locks, done = KEYS[1], KEYS[2]
local owner, doneTtl = ARGV[1], ARGV[2]
local before = redis.call('GET', done)
if before then
  return cjson.decode(before)
end
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
if #reply > 0 then
  redis.call('SET', done, cjson.encode(reply), 'PX', doneTtl)
end
return reply
