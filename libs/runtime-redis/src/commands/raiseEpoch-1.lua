--[[
  Raises the epoch counter to at least a floor (after Redis lost it while PostgreSQL kept the fence).
  KEYS[1] epoch counter   ARGV[1] floor
  Output: the counter value
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return tonumber(ARGV[1])
end
return current
