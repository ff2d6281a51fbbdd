#!lua
-- game-write: replaces a room's game if its version is still the one the writer read.
-- KEYS[1] game  hash: version, state (JSON, opaque here), deadline (epoch ms or '')
-- KEYS[2] done  string: this request's deadline once it wrote (see below)
-- ARGV[1] expected version ('' = no game stored)  ARGV[2] new version  ARGV[3] state JSON
-- ARGV[4] turnMs (> 0: a new deadline that far from now; 0: none; -1: keep the stored one)  ARGV[5] retention ms  ARGV[6] lifetime of the done key in ms
-- Reply: {'OK', deadline} | {'CONFLICT', stored version or ''}
--   (deadline: epoch ms on this server's clock, or '' when the phase has none)
-- Invariants: a game is only ever replaced by a writer that read its current version, so
-- of two racing writers exactly one wins; a request run again (its reply was lost) answers
-- its first reply and writes nothing more.
local game, done = KEYS[1], KEYS[2]
local before = redis.call('GET', done)
if before then
  return {'OK', before}
end
local stored = redis.call('HGET', game, 'version') or ''
if stored ~= ARGV[1] then
  return {'CONFLICT', stored}
end
local deadline = ''
local turnMs = tonumber(ARGV[4])
if turnMs < 0 then
  deadline = redis.call('HGET', game, 'deadline') or ''
elseif turnMs > 0 then
  local t = redis.call('TIME')
  deadline = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + turnMs)
end
redis.call('HSET', game, 'version', ARGV[2], 'state', ARGV[3], 'deadline', deadline)
redis.call('PEXPIRE', game, ARGV[5])
redis.call('SET', done, deadline, 'PX', ARGV[6])
return {'OK', deadline}
