#!lua
-- presence-heartbeat: refreshes a connection's TTL and, when asked, swaps its state.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen   (see presence-join.lua)
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] epoch  ARGV[4] ttlMs
-- ARGV[5] '1' = the heartbeat carries state ops  ARGV[6] baseHash (hash of the state the
--   caller holds, the ops were applied to it; '' = none)  ARGV[7] newHash  ARGV[8] newStateJson
-- Reply: {'NOT_JOINED'} | {'FORBIDDEN'} | {'STALE_EPOCH', epoch}
--   | {'MISMATCH', storedState, storedHash}   (nothing written: re-apply the ops, retry)
--   | {'OK', epoch, changed 0|1, expiresAt, status, joinedAt, lastSeenAt, stateHash,
--      state|''}   (state: the stored one when there are no ops and the caller's copy is
--      outdated; '' when the caller's copy or its computed state is current)
-- Invariants: only the current epoch of an unexpired connection is refreshed; the state
-- is replaced only when the ops were applied to the stored state (compare-and-set on its
-- hash), and a heartbeat that changes nothing never rewrites it. State JSON is opaque.
local conns, states, seen = KEYS[1], KEYS[2], KEYS[3]
local connId = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

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
if ARGV[5] == '1' and ARGV[7] ~= meta.h then
  if ARGV[6] ~= meta.h then
    return {'MISMATCH', redis.call('HGET', states, connId), meta.h}
  end
  redis.call('HSET', states, connId, ARGV[8])
  meta.h = ARGV[7]
  changed = 1
end
meta.l = now
local expiresAt = now + tonumber(ARGV[4])
redis.call('HSET', conns, connId, cjson.encode(meta))
redis.call('ZADD', seen, expiresAt, connId)
local state = ''
if ARGV[5] ~= '1' and ARGV[6] ~= meta.h then
  state = redis.call('HGET', states, connId)
end
return {'OK', meta.e, changed, expiresAt, meta.s, meta.j, now, meta.h, state}
