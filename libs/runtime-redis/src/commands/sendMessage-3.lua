--[[
  Appends an envelope to a shard mailbox, bounded per actor, optionally deduplicated by envelope id.
  KEYS[1] mailbox stream   KEYS[2] depth hash (actor -> waiting count)   KEYS[3] dedupe marker key
  ARGV[1] actor address    ARGV[2] per-actor limit   ARGV[3] envelope JSON   ARGV[4] dedupe TTL ms ('0' = none)
  Output: stream id; 0 when deduplicated; -1 when the mailbox is full
]]
if ARGV[4] ~= '0' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
end
local depth = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if depth >= tonumber(ARGV[2]) then return -1 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
if ARGV[4] ~= '0' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
return redis.call('XADD', KEYS[1], '*', 'a', ARGV[1], 'e', ARGV[3])
