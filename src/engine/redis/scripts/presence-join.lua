#!lua
-- presence-join: adds a connection to a room, or resumes it (same connId, same user).
-- KEYS[1] conns   hash connId -> meta JSON {u,e,s,j,l,h,n}
-- KEYS[2] states  hash connId -> state JSON (stored as given, never decoded here)
-- KEYS[3] seen    zset connId -> expiresAt (ms)
-- KEYS[4] users   hash userId -> connections of that user in the room
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] node  ARGV[4] ttlMs  ARGV[5] maxMembers
-- ARGV[6] stateJson  ARGV[7] stateHash  ARGV[8] '1' = keep the stored state on a resume
-- Reply: {'FORBIDDEN'} | {'ROOM_FULL'}
--   | {'OK', epoch, resumed 0|1, expiresAt, connId, meta, state, connId, meta, state, ...}
--   (every unexpired member of the room, this one included)
-- Invariants: a connId never changes user; distinct users <= maxMembers; the epoch of a
-- connId only rises: max(previous + 1, now), from the Redis clock.
local conns, states, seen, users = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local connId, userId = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local raw = redis.call('HGET', conns, connId)
local prev = raw and cjson.decode(raw)
if prev and prev.u ~= userId then
  return {'FORBIDDEN'}
end
if not prev and redis.call('HEXISTS', users, userId) == 0
    and redis.call('HLEN', users) >= tonumber(ARGV[5]) then
  return {'ROOM_FULL'}
end

local meta = {u = userId, s = 'online', l = now, n = ARGV[3]}
if prev then
  meta.e = math.max(prev.e + 1, now)
  meta.j = prev.j
else
  meta.e = now
  meta.j = now
  redis.call('HINCRBY', users, userId, 1)
end
if prev and ARGV[8] == '1' then
  meta.h = prev.h
else
  meta.h = ARGV[7]
  redis.call('HSET', states, connId, ARGV[6])
end
local expiresAt = now + tonumber(ARGV[4])
redis.call('HSET', conns, connId, cjson.encode(meta))
redis.call('ZADD', seen, expiresAt, connId)

local reply = {'OK', meta.e, prev and 1 or 0, expiresAt}
for _, id in ipairs(redis.call('ZRANGE', seen, '(' .. now, '+inf', 'BYSCORE')) do
  reply[#reply + 1] = id
  reply[#reply + 1] = redis.call('HGET', conns, id)
  reply[#reply + 1] = redis.call('HGET', states, id)
end
return reply
