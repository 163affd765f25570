import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { counterActor, hasErrorCode, parseActorId, rendezvousOwner, shardOf, type CounterState, type Lease } from '@godel/actors';
import type { GodelConfig } from '@godel/config';
import { redactUrl } from '../local-services';
import { openDatabase } from '@godel/persistence';
import { buildRuntime, type BuiltRuntime } from '../../../godel/src';
import { CliError, EXIT } from '../cli-error';
import { LocalCluster as GodelCluster, type ClusterMember } from '../cluster/local-cluster';
import type { Lifecycle } from '../lifecycle';
import type { Output } from '../output';
import { resolveServices } from '../services';
import { serverEntry } from './up';
import { acquiredEvent, askWithRetry, bounded, describeOwners, removeDemoData, sleep, stopCluster, sum, waitUntil } from './demo-cluster';
import { DEMO_LEASE_TTL_MS, DEMO_SHARDS, demoRate, validateDemoOptions, type DemoCounter, type DemoKill, type DemoMember, type DemoOptions, type DemoReport, type DemoTakeover } from './demo-types';

export * from './demo-types';

/**
 * The quick-start demo: N real Godel servers, a steady stream of `inc` messages to counter actors,
 * SIGKILLs of the busiest member mid-stream, then proof that every accepted message was handled exactly once.
 */
export async function runDemo(o: DemoOptions, config: GodelConfig, out: Output, life: Lifecycle): Promise<DemoReport> {
  validateDemoOptions(o);
  const entry = serverEntry(); // before starting anything: `npm run build` must have run
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => (timings[name] = Date.now() - since);

  // 1. Redis and PostgreSQL.
  let t = Date.now();
  const services = await resolveServices(config, out, life);
  mark('servicesMs', t);

  // 2. A fresh key prefix and schema: the demo never touches other data, and removes its own.
  const tag = randomBytes(4).toString('hex');
  const keyPrefix = `demo${tag}`;
  const schema = `demo_${tag}`;
  life.defer(`remove the demo's Redis keys and schema`, () => removeDemoData(services.redis.url, services.postgres.url, keyPrefix, schema, out));
  out.progress(`Isolation: Redis keys ${keyPrefix}:*, PostgreSQL schema ${schema} (both removed at the end)`);
  t = Date.now();
  const ds = await openDatabase({ url: services.postgres.url, schema, poolSize: 4 });
  life.defer('close the database pool', async () => {
    if (ds.isInitialized) await ds.destroy();
  });
  mark('schemaMs', t);

  // 3. N Godel server processes.
  const cluster = new GodelCluster({
    redisUrl: services.redis.url,
    databaseUrl: services.postgres.url,
    keyPrefix,
    schema,
    env: { GODEL_SHARDS: String(DEMO_SHARDS), GODEL_LEASE_TTL_MS: String(DEMO_LEASE_TTL_MS), GODEL_ROLES: 'api,runtime' },
    entry,
  });
  const members: DemoMember[] = [];
  let stopping = false;
  life.trackPids(() => [...cluster.members.values()].map((m) => m.pid));
  life.defer(
    'stop the Godel members',
    () => {
      stopping = true;
      return stopCluster(cluster, members, out);
    },
    30_000,
  );
  const startMember = async (name: string, role: DemoMember['role']): Promise<ClusterMember> => {
    const m = await cluster.start(name, 30_000);
    const rec: DemoMember = { name, instance: m.instanceId, pid: m.pid, role, fate: 'running' };
    members.push(rec);
    void m.exited.then(({ code, signal }) => {
      if (rec.fate === 'running' && !stopping && !life.interrupted) out.warn(`${name} (pid ${m.pid}) exited on its own (${code ?? signal}): its shards will be taken over`);
    });
    return m;
  };
  t = Date.now();
  out.progress(`Starting ${o.instances} Godel server processes of ${relative(process.cwd(), entry) || entry} (${DEMO_SHARDS} shards, lease TTL ${DEMO_LEASE_TTL_MS} ms)…`);
  try {
    const started = await Promise.all(Array.from({ length: o.instances }, (_, i) => startMember(`m${i + 1}`, 'initial')));
    for (const m of started) out.progress(`  ${m.name}: ${m.instanceId}, pid ${m.pid}, ${m.url}`);
  } catch (err) {
    throw new CliError('demo.member_failed', `a Godel server process did not start: ${(err as Error).message}. Check that \`npm run build\` succeeded`, EXIT.checkFailed, {}, { cause: err });
  }

  // 4. The sender: a runtime that hosts no shard, only sends and asks.
  const sender: BuiltRuntime = buildRuntime({
    redisUrl: services.redis.url,
    dataSource: ds,
    keyPrefix,
    runtime: { ...config.runtime, shardCount: DEMO_SHARDS, leaseTtlMs: DEMO_LEASE_TTL_MS },
    definitions: [counterActor],
    instanceId: `demo-sender-${tag}`,
    hostShards: false,
  });
  life.defer('close the sender runtime', () => sender.close(5000));
  await sender.system.start();

  const holders = (): Promise<Array<Lease | undefined>> =>
    bounded(Promise.all(Array.from({ length: DEMO_SHARDS }, (_, s) => sender.leases.holder(s))), 10_000, 'reading the shard leases from Redis');
  const liveIds = () => [...cluster.members.values()].map((m) => m.instanceId);

  // Wait for a settled placement: every shard held by the member rendezvous hashing picks.
  const placed = await waitUntil(async () => {
    const ids = liveIds();
    const hs = await holders();
    return hs.every((h, s) => h && h.owner === rendezvousOwner(s, ids));
  }, 10_000);
  mark('startMs', t);
  const initial = await holders();
  out.progress(`Placement${placed ? '' : ' (still settling)'}: ${describeOwners(initial, cluster)}`);

  // 5. The stream, with kills in the middle of it.
  const actors = Array.from({ length: o.actors }, (_, i) => `counter/demo-${i}`);
  const accepted = new Array<number>(o.actors).fill(0);
  const rejections: Record<string, number> = {};
  const rate = demoRate(o);
  let sent = 0;
  let rejected = 0;
  let sending = true;
  let failure: unknown;
  const kills: DemoKill[] = [];

  const sendLoop = async () => {
    const started = Date.now();
    let lastReport = started;
    out.progress(`Sending ${o.messages} inc messages to ${o.actors} counters at ${rate}/s (about ${Math.ceil(o.messages / rate)} s)…`);
    while (sent < o.messages && failure === undefined && !life.interrupted) {
      const due = Math.min(o.messages, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
      const batch: Array<Promise<void>> = [];
      while (sent < due) {
        const i = sent % o.actors;
        sent++;
        batch.push(
          sender.system.tell(actors[i], 'inc', { by: 1 }).then(
            () => void accepted[i]++,
            (err: unknown) => {
              rejected++;
              const code = hasErrorCode(err, 'mailbox.full') ? 'mailbox.full' : ((err as { code?: string }).code ?? (err as Error).message);
              rejections[code] = (rejections[code] ?? 0) + 1;
            },
          ),
        );
      }
      try {
        await bounded(Promise.all(batch), 15_000, 'sending');
      } catch {
        throw new CliError('demo.redis_stalled', `Redis stopped answering: ${batch.length} tells got no answer within 15 s. Check that Redis (${redactUrl(services.redis.url)}) is still running`, EXIT.servicesUnavailable);
      }
      if (Date.now() - lastReport >= 2000) {
        lastReport = Date.now();
        out.progress(`  sent ${sent}/${o.messages}, accepted ${sum(accepted)}${rejected ? `, rejected ${rejected}` : ''}`);
      }
      await sleep(10);
    }
    mark('sendMs', started);
    sending = false;
    out.progress(`  sent ${sent}/${o.messages}, accepted ${sum(accepted)}${rejected ? `, rejected ${rejected}` : ''}: stream done`);
  };

  const killLoop = async () => {
    for (let n = 1; n <= o.kills && failure === undefined && !life.interrupted; n++) {
      const threshold = Math.floor((o.messages * n) / (o.kills + 1));
      while (sending && sent < threshold && failure === undefined && !life.interrupted) await sleep(10);
      if (failure !== undefined || life.interrupted) return;
      kills.push(await killBusiest(n));
    }
  };

  const killBusiest = async (n: number): Promise<DemoKill> => {
    const before = await holders();
    const byOwner = new Map<string, number[]>();
    before.forEach((h, s) => {
      if (h && cluster.byInstance(h.owner)) byOwner.set(h.owner, [...(byOwner.get(h.owner) ?? []), s]);
    });
    const [instance, shards] = [...byOwner.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    const victim = instance ? cluster.byInstance(instance) : undefined;
    if (!victim || !shards) throw new CliError('demo.no_owner', 'no live member holds a shard: cannot choose a member to kill', EXIT.checkFailed);
    const atMessage = sent;
    out.progress(`Kill ${n}/${o.kills}: SIGKILL ${victim.name} (${victim.instanceId}, pid ${victim.pid}), holder of ${shards.length}/${DEMO_SHARDS} shards [${shards.join(' ')}], at message ${atMessage}`);
    const rec = members.find((m) => m.pid === victim.pid);
    if (rec) rec.fate = 'killed';
    const killedAt = Date.now();
    await cluster.kill(victim.name);

    // Takeover: poll the leases until every shard is held by a live member again.
    let after: Array<Lease | undefined> = [];
    const done = await waitUntil(async () => {
      after = await holders();
      return after.every((h) => h && cluster.byInstance(h.owner));
    }, 30_000, 20);
    const takeoverMs = Date.now() - killedAt;
    if (!done) {
      throw new CliError('demo.no_takeover', `shards of the killed member were not taken over within 30 s: ${describeOwners(after, cluster)}`, EXIT.checkFailed);
    }
    const takeovers: DemoTakeover[] = [];
    for (const s of shards) {
      const h = after[s] as Lease;
      const owner = cluster.byInstance(h.owner) as ClusterMember;
      takeovers.push({ shard: s, previousEpoch: before[s]?.epoch ?? 0, instance: h.owner, member: owner.name, epoch: h.epoch, leaseMs: takeoverMs });
    }
    // When the new owners report the shard serving (mailbox taken over, pending entries redelivered).
    await waitUntil(async () => takeovers.every((tk) => acquiredEvent(cluster, tk) !== undefined), 3000, 20);
    for (const tk of takeovers) {
      const ev = acquiredEvent(cluster, tk);
      if (ev) {
        tk.servingMs = Math.max(0, Number(ev.at) - killedAt);
        tk.redelivered = Number(ev.redelivered ?? 0);
      }
    }
    const serving = takeovers.map((tk) => tk.servingMs).filter((v): v is number => v !== undefined);
    const servingMs = serving.length === takeovers.length && serving.length > 0 ? Math.max(...serving) : undefined;
    out.progress(`  takeover in ${takeoverMs} ms${servingMs !== undefined ? ` (serving again after ${servingMs} ms)` : ''}:`);
    for (const tk of takeovers) {
      out.progress(
        `    shard ${String(tk.shard).padStart(2)} → ${tk.member} (${tk.instance}) epoch ${tk.previousEpoch} → ${tk.epoch}` +
          (tk.redelivered !== undefined ? `, ${tk.redelivered} redelivered` : ''),
      );
    }
    const kill: DemoKill = { n, member: victim.name, instance: victim.instanceId, pid: victim.pid, atMessage, shards, takeoverMs, servingMs, takeovers };
    if (o.replace) {
      const ts = Date.now();
      const m = await startMember(`r${n}`, 'replacement');
      kill.replacement = { member: m.name, instance: m.instanceId, pid: m.pid, startMs: Date.now() - ts };
      out.progress(`  ${m.name}: ${m.instanceId}, pid ${m.pid}, ${m.url} (replacement, up in ${kill.replacement.startMs} ms; shards move to it as they go idle)`);
    }
    return kill;
  };

  await Promise.all([
    sendLoop().catch((err: unknown) => void (failure ??= err)),
    killLoop().catch((err: unknown) => void (failure ??= err)),
  ]);
  if (failure !== undefined) throw failure;
  if (life.interrupted) throw new CliError('cli.interrupted', 'interrupted', EXIT.interrupted);

  // 6. Drain: every counter's mailbox depth back to 0.
  t = Date.now();
  out.progress('Waiting for every counter mailbox to drain…');
  let depths: number[] = [];
  const drained = await waitUntil(async () => {
    depths = await Promise.all(actors.map((a) => sender.system.depth(a)));
    return depths.every((d) => d === 0);
  }, 30_000, 100);
  mark('drainMs', t);
  if (!drained) {
    const left = actors.map((a, i) => `${a}=${depths[i]}`).filter((_, i) => depths[i] > 0);
    throw new CliError('demo.not_drained', `mailboxes still hold messages after 30 s: ${left.join(', ')}. The members' output above may say why`, EXIT.checkFailed);
  }

  // 7. Read every counter.
  t = Date.now();
  const states = await Promise.all(actors.map((a) => askWithRetry<CounterState>(sender, a)));
  mark('readMs', t);
  const counters: DemoCounter[] = actors.map((a, i) => ({
    actor: a,
    shard: shardOf(parseActorId(a), DEMO_SHARDS),
    accepted: accepted[i],
    handled: states[i].count,
    epochs: states[i].epochs,
  }));
  let deadLettered = 0;
  for (let s = 0; s < DEMO_SHARDS; s++) deadLettered += (await bounded(sender.mailbox.listDeadLetters(s, 1000), 10_000, 'reading the dead letters')).length;

  const acceptedTotal = sum(accepted);
  const handled = sum(counters.map((c) => c.handled));
  const lost = sum(counters.map((c) => Math.max(0, c.accepted - c.handled)));
  const duplicated = sum(counters.map((c) => Math.max(0, c.handled - c.accepted)));
  const ok = lost === 0 && duplicated === 0 && acceptedTotal > 0;
  const verdict = ok
    ? `every accepted message was handled exactly once, across ${kills.length} kill${kills.length === 1 ? '' : 's'}`
    : acceptedTotal === 0
      ? 'no message was accepted'
      : `${lost} accepted message(s) lost, ${duplicated} handled twice`;
  for (const m of members) if (m.fate === 'running') m.fate = 'stopped';
  return {
    ok,
    verdict,
    instances: o.instances,
    shards: DEMO_SHARDS,
    leaseTtlMs: DEMO_LEASE_TTL_MS,
    actors: o.actors,
    redis: { url: redactUrl(services.redis.url), owned: services.redis.owned },
    postgres: { url: redactUrl(services.postgres.url), owned: services.postgres.owned },
    keyPrefix,
    schema,
    messages: { sent, accepted: acceptedTotal, rejected, handled, lost, duplicated, ratePerSecond: rate, sendMs: timings.sendMs ?? 0, rejections },
    deadLettered,
    kills,
    takeoverMs: kills.map((k) => k.takeoverMs),
    members,
    counters,
    timings,
    durationMs: Date.now() - t0,
  };
}
