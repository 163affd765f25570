--[[
  Reads entries of a shard mailbox for the lease holder only (a zombie holder cannot take entries).
  Own pending entries after ARGV[5] come first: a read whose reply was lost (dropped connection)
  left its batch in this consumer's pending list, and the next read hands that batch over again
  instead of leaving it to a later owner (docs/adr/0004). Only when there is none are new entries
  delivered ('new' mode).
  KEYS[1] lease hash   KEYS[2] mailbox stream
  ARGV[1] group   ARGV[2] consumer   ARGV[3] epoch   ARGV[4] count
  ARGV[5] id: own pending entries after it are returned first
  ARGV[6] 'new' (then new entries) or 'pending' (pending entries only)
  Output: list of {id, {field, value, ...}} (fields false when the entry was deleted); -1 when the epoch is stale
]]
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[3] then return -1 end
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], ARGV[5])
if r and r[1] and #r[1][2] > 0 then return r[1][2] end
if ARGV[6] ~= 'new' then return {} end
r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], '>')
if not r then return {} end
return r[1][2]
