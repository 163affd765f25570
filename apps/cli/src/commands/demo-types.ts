import { CliError, EXIT } from '../cli-error';

export const DEMO_SHARDS = 16;
export const DEMO_LEASE_TTL_MS = 1500;

export interface DemoOptions {
  instances: number;
  actors: number;
  messages: number;
  kills: number;
  /** Start a replacement member after each kill (default true). */
  replace: boolean;
  /** Messages per second; default spreads the messages over ~5 s per kill phase. */
  rate?: number;
}

export interface DemoMember {
  name: string;
  instance: string;
  pid: number;
  role: 'initial' | 'replacement';
  fate: 'killed' | 'stopped' | 'running';
}

export interface DemoTakeover {
  shard: number;
  previousEpoch: number;
  instance: string;
  member: string;
  epoch: number;
  /** Kill → the shard's lease held by a live member. */
  leaseMs: number;
  /** Kill → the new owner reported the shard acquired (mailbox taken over, pending entries redelivered). */
  servingMs?: number;
  redelivered?: number;
}

export interface DemoKill {
  n: number;
  member: string;
  instance: string;
  pid: number;
  /** Messages sent when the SIGKILL went out. */
  atMessage: number;
  shards: number[];
  /** Kill → every shard held by a live member again. */
  takeoverMs: number;
  /** Kill → the last taken-over shard serving again (from the members' shard.acquired events). */
  servingMs?: number;
  takeovers: DemoTakeover[];
  replacement?: { member: string; instance: string; pid: number; startMs: number };
}

export interface DemoCounter {
  actor: string;
  shard: number;
  accepted: number;
  handled: number;
  epochs: number[];
}

export interface DemoReport {
  ok: boolean;
  verdict: string;
  instances: number;
  shards: number;
  leaseTtlMs: number;
  actors: number;
  redis: { url: string; owned: boolean };
  postgres: { url: string; owned: boolean };
  keyPrefix: string;
  schema: string;
  messages: {
    sent: number;
    accepted: number;
    rejected: number;
    handled: number;
    lost: number;
    duplicated: number;
    ratePerSecond: number;
    sendMs: number;
    rejections: Record<string, number>;
  };
  deadLettered: number;
  kills: DemoKill[];
  takeoverMs: number[];
  members: DemoMember[];
  counters: DemoCounter[];
  timings: Record<string, number>;
  durationMs: number;
}

export function validateDemoOptions(o: DemoOptions): void {
  const bad = (msg: string) => new CliError('cli.usage', msg, EXIT.usage);
  if (o.instances < 1 || o.instances > 16) throw bad(`--instances must be between 1 and 16, got ${o.instances}`);
  if (o.actors < 1 || o.actors > 10_000) throw bad(`--actors must be between 1 and 10000, got ${o.actors}`);
  if (o.messages < 1 || o.messages > 1_000_000) throw bad(`--messages must be between 1 and 1000000, got ${o.messages}`);
  if (o.kills < 0 || o.kills > 10) throw bad(`--kills must be between 0 and 10, got ${o.kills}`);
  if (o.rate !== undefined && (o.rate < 1 || o.rate > 100_000)) throw bad(`--rate must be between 1 and 100000 messages/s, got ${o.rate}`);
  if (o.kills > 0 && o.instances < 2) throw bad('a kill needs a survivor to take over: use --instances 2 or more (or --kills 0)');
  if (!o.replace && o.kills >= o.instances) {
    throw bad(`--no-replace with --kills ${o.kills} would kill every one of the ${o.instances} instances: use fewer kills or more instances`);
  }
}

/** Messages per second: spreads the stream so that each kill happens mid-stream, ~5 s apart. */
export function demoRate(o: DemoOptions): number {
  if (o.rate) return o.rate;
  const seconds = Math.max(6, 5 * (o.kills + 1));
  return Math.max(1, Math.ceil(o.messages / seconds));
}
