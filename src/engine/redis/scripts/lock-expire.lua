#!lua
-- lock-expire: removes one lock if it is (still) lapsed; the sweep's atomic step.
-- KEYS[1] locks  (see lock-acquire.lua)
-- ARGV[1] lockName
-- Reply: {'EXPIRED', owner, expiresAt} (removed by this call)
--   | {'LIVE', expiresAt} (re-acquired or renewed meanwhile) | {'ABSENT'}
-- Invariant: a lapsed lock is removed, and so reported, by exactly one call.
local locks = KEYS[1]
local name = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local raw = redis.call('HGET', locks, name)
if not raw then
  return {'ABSENT'}
end
local current = cjson.decode(raw)
if current.expiresAt > now then
  return {'LIVE', current.expiresAt}
end
redis.call('HDEL', locks, name)
return {'EXPIRED', current.owner, current.expiresAt}
