import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './redis-client';

/** Script files are named verbNoun-<numKeys>.lua (the BullMQ convention). */
const SCRIPTS = [
  'sendMessage-3',
  'ackMessages-4',
  'acquireLease-2',
  'renewLease-1',
  'releaseLease-1',
  'raiseEpoch-1',
  'takeOverMailbox-2',
  'readMailbox-2',
  'heartbeatMember-1',
  'liveMembers-1',
  'publishReply-1',
  'peekMailboxes-1',
] as const;

export type ScriptName = (typeof SCRIPTS)[number] extends `${infer N}-${number}` ? N : never;

type ScriptFn = (...args: Array<string | number>) => Promise<unknown>;
export type ScriptedRedis = RedisClient & Record<ScriptName, ScriptFn>;

const cache = new Map<string, string>();

function source(file: string): string {
  let text = cache.get(file);
  if (!text) {
    text = readFileSync(join(__dirname, 'commands', `${file}.lua`), 'utf8');
    cache.set(file, text);
  }
  return text;
}

/** Registers every script as a command on the client (EVALSHA with automatic EVAL fallback). */
export function withScripts(client: RedisClient): ScriptedRedis {
  for (const file of SCRIPTS) {
    const [name, keys] = file.split('-');
    if (typeof Reflect.get(client, name) === 'function') continue;
    client.defineCommand(name, { numberOfKeys: Number(keys), lua: source(file) });
  }
  return client as ScriptedRedis;
}
