#!lua
-- lock-renew: extends a lock its owner holds, keeping the token.
-- KEYS[1] locks  (see lock-acquire.lua)
-- ARGV[1] lockName  ARGV[2] owner  ARGV[3] ttlMs
-- Reply: {'LOCK_NOT_HELD'} | {'OK', expiresAt}
-- Invariant: a lapsed lock is never revived (it is announced as expired instead).
local locks = KEYS[1]
local name, owner, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
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
return {'OK', expiresAt}
