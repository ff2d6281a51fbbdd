#!lua
-- reaper-lease: takes the sweeping lease, or renews it for its current holder.
-- KEYS[1] lease   string holder, PX = the lease TTL
-- ARGV[1] holder  ARGV[2] ttlMs
-- Reply: {'OK'} = the holder has the lease for ttlMs from now, {'HELD'} = someone else has it.
-- Invariant: at most one holder at a time; only the holder extends it.
local lease = KEYS[1]
if redis.call('SET', lease, ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'OK'}
end
if redis.call('GET', lease) == ARGV[1] then
  redis.call('PEXPIRE', lease, ARGV[2])
  return {'OK'}
end
return {'HELD'}
