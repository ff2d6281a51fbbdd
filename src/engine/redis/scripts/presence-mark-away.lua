#!lua
-- presence-mark-away: marks a connection away after its transport was lost.
-- KEYS[1] conns  KEYS[2] states  KEYS[3] seen  KEYS[4] done   (see presence-join.lua)
-- ARGV[1] connId  ARGV[2] userId  ARGV[3] epoch  ARGV[4] lifetime of `done` (ms)
-- Reply: {'NOOP'} (absent, other user, newer session or already away)
--   | {'OK', meta, state}
-- Invariants: a late disconnect never marks a newer session away; the TTL is untouched;
-- the change is reported once, also to a resent request (it gets the stored reply).
local conns, states, seen, done = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local connId = ARGV[1]

-- #include last-seen.lua

local stored = redis.call('GET', done)
if stored then
  return cjson.decode(stored)
end
local raw = redis.call('HGET', conns, connId)
if not raw then
  return {'NOOP'}
end
local meta = cjson.decode(raw)
if meta.u ~= ARGV[2] or meta.e ~= tonumber(ARGV[3]) or meta.s ~= 'online' then
  return {'NOOP'}
end
meta.s = 'away'
raw = cjson.encode(meta)
redis.call('HSET', conns, connId, raw)
raw = withLastSeen(raw, redis.call('ZSCORE', seen, connId))
local reply = {'OK', raw, redis.call('HGET', states, connId)}
redis.call('SET', done, cjson.encode(reply), 'PX', ARGV[4])
return reply
