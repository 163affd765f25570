--[[
  Publishes an ask reply and keeps it for a while, so an asker whose subscription dropped while the
  reply was published can still fetch it (docs/adr/0004). Idempotent: run twice, it stores the same
  value and the asker ignores the second publication.
  KEYS[1] reply key (per asker instance and request)
  ARGV[1] channel of the asker instance   ARGV[2] reply JSON   ARGV[3] TTL ms
  Output: number of subscribers that received the publication
]]
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return redis.call('PUBLISH', ARGV[1], ARGV[2])
