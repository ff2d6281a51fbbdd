#!lua
-- lock-release: removes a lock its owner holds.
-- KEYS[1] locks  (see lock-acquire.lua)
-- ARGV[1] lockName  ARGV[2] owner
-- Reply: {'LOCK_NOT_HELD'} | {'OK', expiresAt}
-- Invariant: another owner's lock, or a lapsed one (the sweep announces it), stays.
local locks = KEYS[1]
local name, owner = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local raw = redis.call('HGET', locks, name)
local current = raw and cjson.decode(raw)
if not current or current.owner ~= owner or current.expiresAt <= now then
  return {'LOCK_NOT_HELD'}
end
redis.call('HDEL', locks, name)
return {'OK', current.expiresAt}
