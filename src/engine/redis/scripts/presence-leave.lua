#!lua
-- presence-leave: removes one connection, optionally fenced by its epoch.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] users  KEYS[5] done
--   (see presence-join.lua)
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] epoch ('' = any session)
-- ARGV[4] lifetime of `done` (ms)
-- Reply: {'ABSENT'} (absent, or a newer session than ARGV[3]: nothing changed)
--   | {'FORBIDDEN'} | {'OK', meta, state, userGone 0|1, roomEmpty 0|1}
-- Invariants: another user's connection is never removed; a late leave never removes a
-- newer session; the users count stays equal to the user's connections (HDEL at 0); a
-- removal is reported once, also to a resent request (it gets the stored reply).
local conns, states, seen, users, done = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local connId = ARGV[1]

-- #include last-seen.lua

local stored = redis.call('GET', done)
if stored then
  return cjson.decode(stored)
end
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
raw = withLastSeen(raw, redis.call('ZSCORE', seen, connId))
redis.call('HDEL', conns, connId)
redis.call('HDEL', states, connId)
redis.call('ZREM', seen, connId)
local userGone = 0
if redis.call('HINCRBY', users, meta.u, -1) <= 0 then
  redis.call('HDEL', users, meta.u)
  userGone = 1
end
local roomEmpty = redis.call('HLEN', users) == 0 and 1 or 0
local reply = {'OK', raw, state, userGone, roomEmpty}
redis.call('SET', done, cjson.encode(reply), 'PX', ARGV[4])
return reply
