#!lua
-- lock-acquire: grants a lock when free or lapsed; extends it, same token, for its holder.
-- KEYS[1] locks  hash lockName -> {"owner","token","expiresAt"} (JSON, times in ms)
-- KEYS[2] fence  string: the channel's fencing counter
-- KEYS[3] done   string: this request's reply once it changed something (see below)
-- ARGV[1] lockName  ARGV[2] owner  ARGV[3] ttlMs  ARGV[4] max live locks on the channel
-- ARGV[5] lifetime of the done key in ms
-- Reply: {'LOCK_HELD', owner, expiresAt} | {'PAYLOAD_TOO_LARGE', max}
--   | {'OK', token, expiresAt, acquired 0|1, lapsedOwner, lapsedExpiresAt}
--   (lapsedOwner/lapsedExpiresAt: the lapsed lock this call replaced, else '' and '')
-- Invariants: a live lock of another owner is never replaced; a new token is larger than
-- every earlier one of the channel, also after Redis restarted empty: max(INCR, now);
-- a lapsed lock is reported once, by the script that removes or replaces it; a channel
-- never holds more than ARGV[4] live locks; a request run again (its reply was lost)
-- answers its first reply and changes nothing more.
local locks, fence, done = KEYS[1], KEYS[2], KEYS[3]
local name, owner, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local maxLocks, doneTtl = tonumber(ARGV[4]), ARGV[5]
local before = redis.call('GET', done)
if before then
  return cjson.decode(before)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local raw = redis.call('HGET', locks, name)
local current = raw and cjson.decode(raw)
local live = current and current.expiresAt > now
if live and current.owner ~= owner then
  return {'LOCK_HELD', current.owner, current.expiresAt}
end

local token, acquired = 0, 0
if live then
  token = current.token
else
  local count = 0
  for _, other in ipairs(redis.call('HVALS', locks)) do
    if cjson.decode(other).expiresAt > now then
      count = count + 1
    end
  end
  if count >= maxLocks then
    return {'PAYLOAD_TOO_LARGE', maxLocks}
  end
  token = redis.call('INCR', fence)
  if token < now then
    redis.call('SET', fence, now, 'KEEPTTL') -- a pending retention expiry stays
    token = now
  end
  acquired = 1
end
local expiresAt = now + ttl
redis.call('HSET', locks, name,
  cjson.encode({owner = owner, token = token, expiresAt = expiresAt}))

local lapsedOwner, lapsedExpiresAt = '', ''
if current and not live then
  lapsedOwner, lapsedExpiresAt = current.owner, current.expiresAt
end
local reply = {'OK', token, expiresAt, acquired, lapsedOwner, lapsedExpiresAt}
redis.call('SET', done, cjson.encode(reply), 'PX', doneTtl)
return reply
