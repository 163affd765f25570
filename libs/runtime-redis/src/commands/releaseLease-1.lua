--[[
  Gives a lease up, only if still held at the same epoch.
  KEYS[1] lease hash   ARGV[1] owner   ARGV[2] epoch
  Output: 1 released; 0 not held
]]
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] and redis.call('HGET', KEYS[1], 'epoch') == ARGV[2] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
