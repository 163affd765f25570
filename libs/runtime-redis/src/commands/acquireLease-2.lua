--[[
  Grants a shard lease when it is free (or already ours), with a new fencing epoch.
  KEYS[1] lease hash (owner, epoch; expires)   KEYS[2] epoch counter (never expires)
  ARGV[1] owner   ARGV[2] ttl ms
  Output: {1, epoch} granted; {0, holder, epoch} held by another owner
]]
local holder = redis.call('HGET', KEYS[1], 'owner')
if holder and holder ~= ARGV[1] then
  return {0, holder, tonumber(redis.call('HGET', KEYS[1], 'epoch'))}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, epoch}
