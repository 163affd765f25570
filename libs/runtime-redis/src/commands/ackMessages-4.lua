--[[
  Acknowledges handled entries of a shard mailbox, fenced by the lease epoch: XACK + XDEL, depth
  decrement, and dead letters written in the same atomic step.
  KEYS[1] lease hash   KEYS[2] mailbox stream   KEYS[3] depth hash   KEYS[4] dead-letter stream
  ARGV[1] group   ARGV[2] epoch   ARGV[3] dead-letter max length   ARGV[4..] triples: stream id, actor, dead letter JSON ('' = none)
  Output: number of entries acknowledged; -1 when the epoch is stale
]]
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[2] then return -1 end
local acked = 0
for i = 4, #ARGV, 3 do
  local id, actor, dl = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('XACK', KEYS[2], ARGV[1], id) == 1 then
    acked = acked + 1
    redis.call('XDEL', KEYS[2], id)
    if actor ~= '' then
      if redis.call('HINCRBY', KEYS[3], actor, -1) <= 0 then redis.call('HDEL', KEYS[3], actor) end
    end
    if dl ~= '' then
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[3], '*', 'id', id, 'd', dl)
    end
  end
end
return acked
