--[[
  Lists members whose heartbeat has not expired (Redis clock).
  KEYS[1] members sorted set
  Output: list of members
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
