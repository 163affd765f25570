import { InvalidActorIdError } from './errors/runtime-errors';

/** Address of an actor: `kind/key`, e.g. `agent/3f2a`, `team/auth-rework`. */
export interface ActorId {
  readonly kind: string;
  readonly key: string;
}

const KIND = /^[a-z][a-z0-9-]{0,31}$/;
const KEY = /^[A-Za-z0-9._:@-]{1,160}$/;

export function actorId(kind: string, key: string): ActorId {
  if (!KIND.test(kind)) throw new InvalidActorIdError(`${kind}/${key}`, 'kind must match [a-z][a-z0-9-]{0,31}');
  if (!KEY.test(key)) throw new InvalidActorIdError(`${kind}/${key}`, 'key must match [A-Za-z0-9._:@-]{1,160}');
  return { kind, key };
}

export function parseActorId(address: string): ActorId {
  const slash = address.indexOf('/');
  if (slash <= 0) throw new InvalidActorIdError(address, 'expected kind/key');
  return actorId(address.slice(0, slash), address.slice(slash + 1));
}

export function formatActorId(id: ActorId): string {
  return `${id.kind}/${id.key}`;
}

/**
 * The affinity key decides placement: all actors with the same affinity key share a shard.
 * By convention a key `session:rest` has affinity `session`; any other key is its own affinity.
 */
export function affinityOf(id: ActorId): string {
  const colon = id.key.indexOf(':');
  return colon > 0 ? id.key.slice(0, colon) : id.key;
}
