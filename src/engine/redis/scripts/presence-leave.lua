#!lua
-- presence-leave: removes one connection, optionally fenced by its epoch.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] users   (see presence-join.lua)
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] epoch ('' = any session)
-- Reply: {'ABSENT'} (absent, or a newer session than ARGV[3]: nothing changed)
--   | {'FORBIDDEN'} | {'OK', meta, state, userGone 0|1}
-- Invariants: another user's connection is never removed; a late leave never removes a
-- newer session; the users count stays equal to the user's connections (HDEL at 0).
local conns, states, seen, users = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local connId = ARGV[1]

local raw = redis.call('HGET', conns, connId)
if not raw then
  return {'ABSENT'}
end
local meta = cjson.decode(raw)
if meta.u ~= ARGV[2] then
  return {'FORBIDDEN'}
end
if ARGV[3] ~= '' and meta.e ~= tonumber(ARGV[3]) then
  return {'ABSENT'}
end

local state = redis.call('HGET', states, connId)
redis.call('HDEL', conns, connId)
redis.call('HDEL', states, connId)
redis.call('ZREM', seen, connId)
local userGone = 0
if redis.call('HINCRBY', users, meta.u, -1) <= 0 then
  redis.call('HDEL', users, meta.u)
  userGone = 1
end
return {'OK', raw, state, userGone}
