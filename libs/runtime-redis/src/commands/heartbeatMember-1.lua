--[[
  Records a live member until now + ttl (Redis clock, so members need no synchronised clocks) and
  drops expired ones.
  KEYS[1] members sorted set   ARGV[1] member   ARGV[2] ttl ms
  Output: number of live members
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return redis.call('ZCARD', KEYS[1])
