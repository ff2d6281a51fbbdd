#!lua
-- presence-heartbeat-batch: refreshes the TTL of many connections of one room that carry
-- no state ops (batched mode); heartbeats with ops go through presence-heartbeat.lua.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] users   (see presence-join.lua)
-- ARGV[1] ttlMs, then one run of 4 per connection: connId, userId, epoch, stateHash (of
--   the state the caller holds)
-- Reply: {'OK', now, then one run of 3 per connection, in order:
--   'OK', status, joinedAt     refreshed: lastSeenAt = now, expiresAt = now + ttlMs
--   | 'OUTDATED', '', ''       refreshed, but the caller's state is not the stored one
--   | 'NOT_JOINED', '', '' | 'FORBIDDEN', '', '' | 'STALE_EPOCH', epoch, ''}
-- Invariants: as presence-heartbeat.lua, checked per connection; the state is never read
-- or written. One TIME, one read of `conns` and `seen`, one write of `seen` for the whole
-- run. The meta is not rewritten when it holds this TTL as `t`: lastSeenAt is then the
-- new expiry less `t` (see presence-join.lua), so only the expiry moves. A meta without
-- `t` or with another TTL is rewritten with l = now and t = ttlMs.
-- Idempotent: sent again after a lost reply, it refreshes again and answers the same.
local conns, states, seen, users = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local RUN = 4
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local expiresAt = tostring(now + ttl)

local ids = {}
for i = 2, #ARGV, RUN do
  ids[#ids + 1] = ARGV[i]
end
local metas = redis.call('HMGET', conns, unpack(ids))
local scores = redis.call('ZMSCORE', seen, unpack(ids))

local reply = {'OK', now}
local metaPairs, scorePairs = {}, {}

-- Appends one connection's run; a refreshed one also queues its meta and expiry.
local function refresh(n)
  local at = 2 + (n - 1) * RUN
  local connId, raw, score = ids[n], metas[n], scores[n]
  if not raw or not score or tonumber(score) <= now then
    return 'NOT_JOINED', '', ''
  end
  local meta = cjson.decode(raw)
  if meta.u ~= ARGV[at + 1] then
    return 'FORBIDDEN', '', ''
  end
  if meta.e ~= tonumber(ARGV[at + 2]) then
    return 'STALE_EPOCH', meta.e, ''
  end
  if meta.t ~= ttl then
    meta.l, meta.t = now, ttl
    metaPairs[#metaPairs + 1] = connId
    metaPairs[#metaPairs + 1] = cjson.encode(meta)
  end
  scorePairs[#scorePairs + 1] = expiresAt
  scorePairs[#scorePairs + 1] = connId
  if ARGV[at + 3] ~= meta.h then
    return 'OUTDATED', '', ''
  end
  return 'OK', meta.s, meta.j
end

for n = 1, #ids do
  local at = #reply
  reply[at + 1], reply[at + 2], reply[at + 3] = refresh(n)
end
if #scorePairs == 0 then
  return reply
end
if #metaPairs > 0 then
  redis.call('HSET', conns, unpack(metaPairs))
end
redis.call('ZADD', seen, unpack(scorePairs))

-- #include room-expiry.lua
keepRoomKeys({conns, states, seen, users}, seen, now, ttl)
return reply
