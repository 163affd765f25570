#!lua flags=no-writes,allow-cross-slot-keys
--[[
  Redis Cluster only: which of several shard mailboxes held by ONE node have entries after a given id.
  A multi-key XREAD across slots fails with CROSSSLOT (even on one node), so the wake-up read is a
  poll per node instead (docs: libs/runtime-redis/README.md, cluster mode). KEYS[1] routes the
  script to the node; the streams are ARGV (allowed by allow-cross-slot-keys on that node).
  KEYS[1] any mailbox stream of the group (routing only)
  ARGV pairs: mailbox stream, last id seen
  Output: the 1-based indexes of the pairs whose stream has an entry after its id
]]
local out = {}
for i = 1, #ARGV, 2 do
  local newer = redis.call('XREVRANGE', ARGV[i], '+', '(' .. ARGV[i + 1], 'COUNT', 1)
  if #newer > 0 then out[#out + 1] = (i + 1) / 2 end
end
return out
