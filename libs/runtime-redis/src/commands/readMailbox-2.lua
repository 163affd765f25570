--[[
  Reads entries of a shard mailbox for the lease holder only (a zombie holder cannot take entries).
  KEYS[1] lease hash   KEYS[2] mailbox stream
  ARGV[1] group   ARGV[2] consumer   ARGV[3] epoch   ARGV[4] count   ARGV[5] '>' for new entries, or an id for pending ones after it
  Output: list of {id, {field, value, ...}}; -1 when the epoch is stale
]]
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[3] then return -1 end
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], ARGV[5])
if not r then return {} end
return r[1][2]
