#!lua
-- lock-expire: removes one lock if it is (still) lapsed; the sweep's atomic step.
-- KEYS[1] locks  (see lock-acquire.lua)
-- KEYS[2] done   string: this request's reply once it removed the lock
-- ARGV[1] lockName  ARGV[2] lifetime of the done key in ms
-- Reply: {'EXPIRED', owner, expiresAt} (removed by this call)
--   | {'LIVE', expiresAt} (re-acquired or renewed meanwhile) | {'ABSENT'}
-- Invariant: a lapsed lock is removed, and so reported, by exactly one request, also when
-- that request runs again because its reply was lost.
local locks, done = KEYS[1], KEYS[2]
local name, doneTtl = ARGV[1], ARGV[2]
local before = redis.call('GET', done)
if before then
  return cjson.decode(before)
end
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
local reply = {'EXPIRED', current.owner, current.expiresAt}
redis.call('SET', done, cjson.encode(reply), 'PX', doneTtl)
return reply
