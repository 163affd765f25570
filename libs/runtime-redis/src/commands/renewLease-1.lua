--[[
  Extends a lease still held at the same epoch.
  KEYS[1] lease hash   ARGV[1] owner   ARGV[2] epoch   ARGV[3] ttl ms
  Output: 1 renewed; 0 lost
]]
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
