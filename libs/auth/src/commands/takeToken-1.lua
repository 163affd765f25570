--[[
  Takes tokens from a token bucket that refills continuously, on Redis' clock (one clock for every
  instance).
  Input:
    KEYS[1] the bucket (hash: tokens, ts)
    ARGV[1] refill rate, tokens per second
    ARGV[2] burst (capacity)
    ARGV[3] cost, tokens to take
  Output:
    {1, tokens left (floored)} taken
    {0, ms until `cost` tokens are there} refused (nothing taken)
]]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
local ttl = math.ceil(burst * 1000 / rate) + 1000
local taken = tokens >= cost
if taken then tokens = tokens - cost end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], ttl)
if taken then return {1, math.floor(tokens)} end
return {0, math.ceil((cost - tokens) * 1000 / rate)}
