#!lua
-- lock-release: removes a lock its owner holds.
-- KEYS[1] locks  (see lock-acquire.lua)
-- KEYS[2] done   string: this request's reply once it changed something
-- ARGV[1] lockName  ARGV[2] owner  ARGV[3] lifetime of the done key in ms
-- Reply: {'LOCK_NOT_HELD'} | {'OK', expiresAt}
-- Invariants: another owner's lock, or a lapsed one (the sweep announces it), stays; a
-- request run again answers its first reply (never a false LOCK_NOT_HELD); a refusal
-- writes nothing at all.
local locks, done = KEYS[1], KEYS[2]
local name, owner, doneTtl = ARGV[1], ARGV[2], ARGV[3]
local before = redis.call('GET', done)
if before then
  return cjson.decode(before)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local raw = redis.call('HGET', locks, name)
local current = raw and cjson.decode(raw)
if not current or current.owner ~= owner or current.expiresAt <= now then
  return {'LOCK_NOT_HELD'}
end
redis.call('HDEL', locks, name)
local reply = {'OK', current.expiresAt}
redis.call('SET', done, cjson.encode(reply), 'PX', doneTtl)
return reply
