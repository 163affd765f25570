import { affinityOf, type ActorId } from './actor-id';

export type ShardId = number;

/** FNV-1a 32-bit: stable across processes and versions (placement must never change silently). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's 32-bit finaliser: FNV alone barely changes the high bits for similar inputs. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function shardOfKey(affinityKey: string, shardCount: number): ShardId {
  return fnv1a(affinityKey) % shardCount;
}

export function shardOf(id: ActorId, shardCount: number): ShardId {
  return shardOfKey(affinityOf(id), shardCount);
}

/**
 * Rendezvous (highest random weight) hashing: the member with the highest score for a shard wins.
 * Adding a member moves only the shards it now wins; removing one moves only the shards it held.
 */
export function rendezvousOwner(shard: ShardId, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = fmix32(fnv1a(`${m}#${shard}`));
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

/** Stream ids (`ms-seq`) compare numerically, part by part. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as ?? '0') - BigInt(bs ?? '0');
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
