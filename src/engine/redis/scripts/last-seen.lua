-- last-seen (included, not a script of its own): withLastSeen(raw, expiresAt).
-- A meta holding `t` (the TTL of its last refresh) was last seen at its expiry less `t`:
-- batched heartbeats refresh only the expiry, so `l` is set from it here.
local function withLastSeen(raw, expiresAt)
  local ttl = string.match(raw, '"t":(%d+)')
  if not ttl or not expiresAt then
    return raw
  end
  return (string.gsub(raw, '"l":%d+', '"l":' .. (tonumber(expiresAt) - tonumber(ttl)), 1))
end
