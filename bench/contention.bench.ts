/**
 * npm run bench:contention — the control plane while agents start (issue 13: leases lost while 100
 * agents start). One actor runtime in this process (Redis + PostgreSQL, the counter actor, 2 s
 * leases) answers asks at ~100/s while K real `pi` processes start at once in the bubblewrap
 * sandbox (each burns ~2 s of CPU). Rounds alternate the sandbox's niceness: 0 (agents compete with
 * the control plane as equals) and GODEL_SANDBOX_NICE's default 10. Reports, per niceness, the ask
 * round trip, this process's event-loop delay, lost leases and how long the K starts took; writes
 * bench/results/contention.json. `--agents K` (default 8), `--rounds R` per niceness (default 3).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARD_EXTENSION_FILE, PiRpcProcess, agentLauncher } from '@godel/agents';
import { Sandbox } from '@godel/sandbox';
import { counterActor, createTestEnv, startScriptedModel } from '@godel/testing';
import { buildRuntime } from '../apps/godel/src';
import { watchLoop } from './latency-probe';
import { setUpPiBench } from './pi-bench-kit';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const AGENTS = arg('--agents', 8);
const ROUNDS = arg('--rounds', 3);
const NICENESS = [0, 10];
const log = (s: string) => process.stderr.write(`${s}\n`);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (n: number) => Number(n.toFixed(1));

async function main(): Promise<void> {
  const env = await createTestEnv({ shardCount: 8, leaseTtlMs: 2000 });
  const lost: string[] = [];
  const rt = buildRuntime({
    redisUrl: env.redisUrl,
    dataSource: env.dataSource,
    keyPrefix: env.keyPrefix,
    runtime: env.config.runtime,
    definitions: [counterActor],
    onEvent: (type, data) => (type === 'shard.lost' ? void lost.push(String(data.reason ?? '')) : undefined),
  });
  const root = await mkdtemp(join(tmpdir(), 'godel-bench-contention-'));
  const model = await startScriptedModel({ models: ['scripted'], script: () => ({ text: 'ok' }) });
  try {
    await rt.system.start();
    const { piBin, wt, agentRoot, agentDir, env: piEnv, providers } = await setUpPiBench(root, model.url);

    /** K pi starts at once with the sandbox at `nice`, asks probing the runtime meanwhile. */
    const round = async (nice: number) => {
      const launcher = agentLauncher({ sandbox: new Sandbox({ nice }), worktree: wt, agentRoot, programs: [GUARD_EXTENSION_FILE], providers });
      const asks: number[] = [];
      let probing = true;
      const probe = (async () => {
        for (let i = 0; probing; i++) {
          const t0 = performance.now();
          await rt.system.ask(`counter/c${i % 16}`, 'get', {}, 30_000).catch(() => undefined);
          asks.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const lostBefore = lost.length;
      const loop = watchLoop();
      const t0 = performance.now();
      const ready: number[] = [];
      const procs = await Promise.all(
        Array.from({ length: AGENTS }, async () => {
          const p = await PiRpcProcess.start({ cwd: wt, agentDir, provider: 'local', model: 'scripted', noSession: true, baseEnv: piEnv, piBin, launcher, readyTimeoutMs: 120_000 });
          ready.push(performance.now() - t0);
          return p;
        }),
      );
      const stats = loop.stop();
      probing = false;
      await probe;
      await Promise.all(procs.map((p) => p.stop({ graceMs: 2000 })));
      return { nice, asks, ready, lost: lost.length - lostBefore, ...stats };
    };

    log(`${AGENTS} pi starts at once per round, ${ROUNDS} rounds per niceness (${NICENESS.join(', ')}), alternating; ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`);
    const rounds: Array<Awaited<ReturnType<typeof round>>> = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const nice of i % 2 === 0 ? NICENESS : [...NICENESS].reverse()) {
        const r = await round(nice);
        rounds.push(r);
        log(`  round ${i + 1} nice ${nice}: ask p50 ${pct(r.asks, 50).toFixed(1)} p99 ${pct(r.asks, 99).toFixed(1)} max ${Math.max(...r.asks).toFixed(0)} ms; loop p99 ${r.loop_p99_ms} ms; all ready ${Math.max(...r.ready).toFixed(0)} ms; leases lost ${r.lost}`);
      }
    }
    const by = (nice: number) => {
      const rs = rounds.filter((r) => r.nice === nice);
      const asks = rs.flatMap((r) => r.asks);
      const ready = rs.flatMap((r) => r.ready);
      return {
        ask_p50_ms: r1(pct(asks, 50)),
        ask_p99_ms: r1(pct(asks, 99)),
        ask_max_ms: r1(Math.max(...asks)),
        loop_p99_ms_max: Math.max(...rs.map((r) => r.loop_p99_ms)),
        leases_lost: rs.reduce((n, r) => n + r.lost, 0),
        all_ready_ms_p50: r1(pct(rs.map((r) => Math.max(...r.ready)), 50)),
        pi_ready_p50_ms: r1(pct(ready, 50)),
      };
    };
    const [plain, niced] = [by(0), by(10)];
    const result = { agents: AGENTS, rounds: ROUNDS, cores: cpus().length, nice_0: plain, nice_10: niced, ask_p99_ratio_10_over_0: r1(niced.ask_p99_ms / plain.ask_p99_ms), at: new Date().toISOString() };
    const rows = (Object.keys(plain) as Array<keyof typeof plain>).map((k) => `| ${k} | ${plain[k]} | ${niced[k]} |`);
    process.stdout.write(['| metric | nice 0 | nice 10 (default) |', '|---|---|---|', ...rows, `| ask p99 ratio (10 / 0) | | ${result.ask_p99_ratio_10_over_0} |`].join('\n') + '\n');
    const out = join(__dirname, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'contention.json'), JSON.stringify(result, null, 2) + '\n');
  } finally {
    await rt.close();
    await model.close();
    await env.cleanup();
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    log(String(err instanceof Error ? err.stack : err));
    process.exit(1);
  },
);
