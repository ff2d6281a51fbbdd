#!lua
-- presence-heartbeat-batch: refreshes the TTL of many connections of one room that carry
-- no state ops (batched mode); heartbeats with ops go through presence-heartbeat.lua.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] users   (see presence-join.lua)
-- ARGV: one run of 5 per connection: connId, userId, epoch, ttlMs, baseHash (hash of the
--   state the caller holds; '' = none)
-- Reply: {'OK', entry, entry, ...}, one entry per run, in order, each shaped like a
--   presence-heartbeat reply without ops: {'NOT_JOINED'} | {'FORBIDDEN'}
--   | {'STALE_EPOCH', epoch} | {'OK', epoch, 0, expiresAt, status, joinedAt, lastSeenAt,
--   stateHash, state|''}   (state: the stored one when the caller's hash is outdated)
-- Invariants: as presence-heartbeat.lua, checked per connection; one TIME, one read and
-- one write per key for the whole run, the state never read unless the caller lacks it.
-- Idempotent: sent again after a lost reply, it refreshes again and answers the same.
local conns, states, seen, users = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local RUN = 5
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local ids = {}
for i = 1, #ARGV, RUN do
  ids[#ids + 1] = ARGV[i]
end
local metas = redis.call('HMGET', conns, unpack(ids))
local scores = redis.call('ZMSCORE', seen, unpack(ids))

local metaPairs, scorePairs, reply = {}, {}, {'OK'}
local longestTtl = 0

-- One connection's entry; a refreshed one also queues its meta and expiry for writing.
local function refresh(n)
  local at = (n - 1) * RUN
  local connId, raw, score = ids[n], metas[n], scores[n]
  if not raw or not score or tonumber(score) <= now then
    return {'NOT_JOINED'}
  end
  local meta = cjson.decode(raw)
  if meta.u ~= ARGV[at + 2] then
    return {'FORBIDDEN'}
  end
  if meta.e ~= tonumber(ARGV[at + 3]) then
    return {'STALE_EPOCH', meta.e}
  end
  meta.l = now
  local ttl = tonumber(ARGV[at + 4])
  local expiresAt = now + ttl
  longestTtl = math.max(longestTtl, ttl)
  metaPairs[#metaPairs + 1] = connId
  metaPairs[#metaPairs + 1] = cjson.encode(meta)
  scorePairs[#scorePairs + 1] = expiresAt
  scorePairs[#scorePairs + 1] = connId
  local state = ''
  if ARGV[at + 5] ~= meta.h then
    state = redis.call('HGET', states, connId)
  end
  return {'OK', meta.e, 0, expiresAt, meta.s, meta.j, now, meta.h, state}
end

for n = 1, #ids do
  reply[n + 1] = refresh(n)
end
if #scorePairs == 0 then
  return reply
end
redis.call('HSET', conns, unpack(metaPairs))
redis.call('ZADD', seen, unpack(scorePairs))

-- As in presence-heartbeat.lua: room keys outlive every refreshed connection by a TTL,
-- pushed out half a TTL beyond only when that is due.
if redis.call('PTTL', seen) < 2 * longestTtl then
  local last = redis.call('ZRANGE', seen, -1, -1, 'WITHSCORES')
  local keepUntil = math.max(math.floor(now + 2.5 * longestTtl), tonumber(last[2]) + longestTtl)
  for _, key in ipairs({conns, states, seen, users}) do
    redis.call('PEXPIREAT', key, keepUntil)
  end
end
return reply
