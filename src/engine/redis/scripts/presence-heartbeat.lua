#!lua
-- presence-heartbeat: refreshes a connection's TTL and, when asked, swaps its state.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] users   (see presence-join.lua)
-- KEYS[5] done   read and written only by a heartbeat with state ops (see presence-join.lua)
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] epoch  ARGV[4] ttlMs
-- ARGV[5] '1' = the heartbeat carries state ops  ARGV[6] baseHash (hash of the state the
--   caller holds, the ops were applied to it; '' = none)  ARGV[7] newHash  ARGV[8] newStateJson
-- ARGV[9] lifetime of `done` (ms)
-- Reply: {'NOT_JOINED'} | {'FORBIDDEN'} | {'STALE_EPOCH', epoch}
--   | {'MISMATCH', storedState, storedHash}   (nothing written: re-apply the ops, retry)
--   | {'OK', epoch, changed 0|1, expiresAt, status, joinedAt, lastSeenAt, stateHash,
--      state|''}   (state: the stored one when there are no ops and the caller's copy is
--      outdated; '' when the caller's copy or its computed state is current)
-- Invariants: only the current epoch of an unexpired connection is refreshed; the state
-- is replaced only when the ops were applied to the stored state (compare-and-set on its
-- hash), and a heartbeat that changes nothing never rewrites it. State JSON is opaque.
-- Every room key expires at least a TTL after this connection's new expiry, and on its own
-- within 2.5 TTLs once the room is abandoned.
local conns, states, seen, users, done = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local connId, hasOps = ARGV[1], ARGV[5] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

if hasOps then
  local stored = redis.call('GET', done)
  if stored then
    return cjson.decode(stored)
  end
end
local raw = redis.call('HGET', conns, connId)
local score = redis.call('ZSCORE', seen, connId)
if not raw or not score or tonumber(score) <= now then
  return {'NOT_JOINED'}
end
local meta = cjson.decode(raw)
if meta.u ~= ARGV[2] then
  return {'FORBIDDEN'}
end
if meta.e ~= tonumber(ARGV[3]) then
  return {'STALE_EPOCH', meta.e}
end

local changed = 0
if hasOps and ARGV[7] ~= meta.h then
  if ARGV[6] ~= meta.h then
    return {'MISMATCH', redis.call('HGET', states, connId), meta.h}
  end
  redis.call('HSET', states, connId, ARGV[8])
  meta.h = ARGV[7]
  changed = 1
end
local ttl = tonumber(ARGV[4])
meta.l = now
meta.t = ttl
local expiresAt = now + ttl
redis.call('HSET', conns, connId, cjson.encode(meta))
redis.call('ZADD', seen, expiresAt, connId)

-- #include room-expiry.lua
keepRoomKeys({conns, states, seen, users}, seen, now, ttl)

local state = ''
if not hasOps and ARGV[6] ~= meta.h then
  state = redis.call('HGET', states, connId)
end
local reply = {'OK', meta.e, changed, expiresAt, meta.s, meta.j, now, meta.h, state}
if hasOps then
  redis.call('SET', done, cjson.encode(reply), 'PX', ARGV[9])
end
return reply
