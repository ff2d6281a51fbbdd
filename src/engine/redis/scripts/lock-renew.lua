#!lua
-- lock-renew: extends a lock its owner holds, keeping the token.
-- KEYS[1] locks  (see lock-acquire.lua)
-- KEYS[2] done   string: this request's reply once it changed something
-- ARGV[1] lockName  ARGV[2] owner  ARGV[3] ttlMs  ARGV[4] lifetime of the done key in ms
-- Reply: {'LOCK_NOT_HELD'} | {'OK', expiresAt}
-- Invariants: a lapsed lock is never revived (it is announced as expired instead); a
-- request run again answers its first reply; a refusal writes nothing at all.
local locks, done = KEYS[1], KEYS[2]
local name, owner, ttl, doneTtl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
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
local expiresAt = now + ttl
redis.call('HSET', locks, name,
  cjson.encode({owner = owner, token = current.token, expiresAt = expiresAt}))
local reply = {'OK', expiresAt}
redis.call('SET', done, cjson.encode(reply), 'PX', doneTtl)
return reply
