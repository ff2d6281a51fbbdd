#!lua
-- lock-index-drop: removes a lock from the sweep index unless it was re-indexed meanwhile.
-- KEYS[1] index  zset lock member -> expiresAt (cross-slot, one key)
-- ARGV[1] member  ARGV[2] the score the sweep read
-- Reply: 1 removed | 0 kept (absent, or a newer acquire/renew wrote another score)
-- Invariant: a concurrent acquire's or renew's entry is never lost.
local index = KEYS[1]
local score = redis.call('ZSCORE', index, ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  return redis.call('ZREM', index, ARGV[1])
end
return 0
