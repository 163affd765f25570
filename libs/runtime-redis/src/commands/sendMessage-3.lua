--[[
  Appends an envelope to a shard mailbox, bounded per actor, deduplicated by envelope id. Every send
  leaves a marker holding the stream id it got, so the same call made again (a command resent after a
  dropped connection, a caller's retry, an outbox replayed after a crash) appends nothing and returns
  the original stream id (docs/adr/0004).
  KEYS[1] mailbox stream   KEYS[2] depth hash (actor -> waiting count)   KEYS[3] marker key of the envelope id
  ARGV[1] actor address    ARGV[2] per-actor limit   ARGV[3] envelope JSON   ARGV[4] marker TTL ms
  Output: {stream id, 1} appended; {original stream id, 0} already appended; -1 when the mailbox is full
]]
local seen = redis.call('GET', KEYS[3])
if seen then return {seen, 0} end
local depth = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if depth >= tonumber(ARGV[2]) then return -1 end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
local id = redis.call('XADD', KEYS[1], '*', 'a', ARGV[1], 'e', ARGV[3])
redis.call('SET', KEYS[3], id, 'PX', ARGV[4])
return {id, 1}
