#!lua
-- presence-join: adds a connection to a room, or resumes it (same connId, same user).
-- KEYS[1] conns   hash connId -> meta JSON {u,e,s,j,l,h,n,t}; t = TTL (ms) of its last
--   refresh, l = lastSeenAt as of its last rewrite: when t is present, lastSeenAt is the
--   connection's expiresAt in `seen` less t (a batched heartbeat moves only that)
-- KEYS[2] states  hash connId -> state JSON (stored as given, never decoded here)
-- KEYS[3] seen    zset connId -> expiresAt (ms)
-- KEYS[4] users   hash userId -> connections of that user in the room
-- KEYS[5] done    string: this request's outcome, so a resent request is answered, not rerun
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] node  ARGV[4] ttlMs  ARGV[5] maxMembers
-- ARGV[6] maxConnsPerUser  ARGV[7] stateJson  ARGV[8] stateHash
-- ARGV[9] '1' = keep the stored state on a resume  ARGV[10] lifetime of `done` (ms)
-- Reply: {'FORBIDDEN'} | {'ROOM_FULL'} | {'USER_FULL'}
--   | {'OK', epoch, resumed 0|1, expiresAt, connId, meta, state, connId, meta, state, ...}
--   (every unexpired member of the room, this one included)
-- Invariants: a connId never changes user; distinct users <= maxMembers; connections of
-- one user <= maxConnsPerUser (a resume is never refused); the epoch of a connId only
-- rises: max(previous + 1, now), from the Redis clock. Every room key expires on its own
-- after its last member's expiry (a safety net for rooms no process sweeps).
local conns, states, seen, users, done = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local connId, userId = ARGV[1], ARGV[2]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- #include last-seen.lua

local function withMembers(reply)
  local live = redis.call('ZRANGE', seen, '(' .. now, '+inf', 'BYSCORE', 'WITHSCORES')
  for i = 1, #live, 2 do
    local id = live[i]
    reply[#reply + 1] = id
    reply[#reply + 1] = withLastSeen(redis.call('HGET', conns, id), live[i + 1])
    reply[#reply + 1] = redis.call('HGET', states, id)
  end
  return reply
end

local stored = redis.call('GET', done)
if stored then
  return withMembers(cjson.decode(stored))
end

local raw = redis.call('HGET', conns, connId)
local prev = raw and cjson.decode(raw)
if prev and prev.u ~= userId then
  return {'FORBIDDEN'}
end
if not prev then
  local held = tonumber(redis.call('HGET', users, userId) or '0')
  if held == 0 and redis.call('HLEN', users) >= tonumber(ARGV[5]) then
    return {'ROOM_FULL'}
  end
  if held >= tonumber(ARGV[6]) then
    return {'USER_FULL'}
  end
end

local ttl = tonumber(ARGV[4])
local meta = {u = userId, s = 'online', l = now, n = ARGV[3], t = ttl}
if prev then
  meta.e = math.max(prev.e + 1, now)
  meta.j = prev.j
else
  meta.e = now
  meta.j = now
  redis.call('HINCRBY', users, userId, 1)
end
if prev and ARGV[9] == '1' then
  meta.h = prev.h
else
  meta.h = ARGV[8]
  redis.call('HSET', states, connId, ARGV[7])
end
local expiresAt = now + ttl
redis.call('HSET', conns, connId, cjson.encode(meta))
redis.call('ZADD', seen, expiresAt, connId)

local last = redis.call('ZRANGE', seen, -1, -1, 'WITHSCORES')
-- As far as a heartbeat pushes it (presence-heartbeat.lua), so the next beats skip it.
local keepUntil = math.max(math.floor(now + 2.5 * ttl), tonumber(last[2]) + ttl)
for _, key in ipairs({conns, states, seen, users}) do
  redis.call('PEXPIREAT', key, keepUntil)
end

local head = {'OK', meta.e, prev and 1 or 0, expiresAt}
redis.call('SET', done, cjson.encode(head), 'PX', ARGV[10])
return withMembers(head)
