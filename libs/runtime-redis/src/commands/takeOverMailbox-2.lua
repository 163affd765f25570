--[[
  Prepares a shard mailbox for its new lease holder: creates the consumer group if missing and moves
  every pending entry (read by a previous holder, not acknowledged) to the new consumer. Fenced.
  KEYS[1] lease hash   KEYS[2] mailbox stream
  ARGV[1] group   ARGV[2] consumer   ARGV[3] epoch
  Output: {claimed count, last delivered id}; -1 when the epoch is stale
]]
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[3] then return -1 end
redis.pcall('XGROUP', 'CREATE', KEYS[2], ARGV[1], '0', 'MKSTREAM')
local claimed = 0
local cursor = '0-0'
repeat
  local r = redis.call('XAUTOCLAIM', KEYS[2], ARGV[1], ARGV[2], 0, cursor, 'COUNT', 1000, 'JUSTID')
  cursor = r[1]
  claimed = claimed + #r[2]
until cursor == '0-0'
local last = '0-0'
local groups = redis.call('XINFO', 'GROUPS', KEYS[2])
for _, g in ipairs(groups) do
  local name, lid
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
    if g[i] == 'last-delivered-id' then lid = g[i + 1] end
  end
  if name == ARGV[1] then last = lid end
end
return {claimed, last}
