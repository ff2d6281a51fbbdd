-- room-expiry (included, not a script of its own): keepRoomKeys(keys, seen, now, ttl).
-- The room keys must outlive every connection by a TTL (so the sweep still finds it). They
-- are pushed out only when that is due, to half a TTL beyond, so most heartbeats skip it.
local function keepRoomKeys(keys, seen, now, ttl)
  if redis.call('PTTL', seen) < 2 * ttl then
    local last = redis.call('ZRANGE', seen, -1, -1, 'WITHSCORES')
    local keepUntil = math.max(math.floor(now + 2.5 * ttl), tonumber(last[2]) + ttl)
    for _, key in ipairs(keys) do
      redis.call('PEXPIREAT', key, keepUntil)
    end
  end
end
