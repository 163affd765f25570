/**
 * npm run bench:sandbox — the OS sandbox (issue 14): the attack suite against one real Godel
 * instance in this process (actor runtime on Redis + PostgreSQL, real `pi` in bubblewrap, the
 * refinery's merge and the maintenance check), then the sandbox's cost measured in the same run:
 * `pi` start to first answer, sandboxed vs plain, and a verification (`true`) sandboxed vs plain,
 * each as the median of paired differences (alternating which goes first). Prints a table and
 * writes bench/results/sandbox.json.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARD_EXTENSION_FILE, PiRpcProcess, agentLauncher, type Launcher } from '@godel/agents';
import { runCommand } from '@godel/orchestration';
import { Sandbox } from '@godel/sandbox';
import { GodelCluster, createKey, createSampleRepo, createTestEnv, login, startScriptedModel } from '@godel/testing';
import { createSandboxAttackKit } from '../test/security/sandbox-attack-kit';
import { SANDBOX_ATTACKS, runSandboxAttacks, type AttackOutcome } from '../test/security/sandbox-attacks';
import { setUpPiBench } from './pi-bench-kit';
import { API_ATTACKS, tokensOf, type AttackEnv } from '../test/security/api-attacks';

const SPAWN_PAIRS = Number(process.env.GODEL_BENCH_SPAWN_PAIRS ?? 20);
const SETUP_PAIRS = 40;
const VERIFY_PAIRS = Number(process.env.GODEL_BENCH_VERIFY_PAIRS ?? 40);
const log = (s: string) => process.stderr.write(`${s}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (n: number) => Number(n.toFixed(1));

async function attacks(): Promise<AttackOutcome[]> {
  const kit = await createSandboxAttackKit();
  try {
    return await runSandboxAttacks(kit, SANDBOX_ATTACKS);
  } finally {
    await kit.close();
  }
}

/** The API half of issue 14 (test/security/api-attacks.ts) against a compiled server process. */
async function apiAttacks(): Promise<AttackOutcome[]> {
  const env = await createTestEnv({ shardCount: 4 });
  const cluster = new GodelCluster({ redisUrl: env.redisUrl, databaseUrl: env.databaseUrl, keyPrefix: env.keyPrefix, schema: env.schema, env: { GODEL_SHARDS: '4', GODEL_SSE_MAX_PER_KEY: '8' } });
  try {
    const a = await cluster.start('attacks', 60_000);
    const admin = (await login(a.url!, cluster.adminKey)).accessToken;
    const target: AttackEnv = {
      url: a.url!,
      adminKey: cluster.adminKey,
      operatorKey: (await createKey(a.url!, admin, 'operator-bench', 'operator')).key,
      viewerKey: (await createKey(a.url!, admin, 'viewer-bench', 'viewer')).key,
    };
    await tokensOf(target);
    const out: AttackOutcome[] = [];
    for (const attack of API_ATTACKS) {
      const r = await attack.run(target).catch((err: unknown) => ({ blocked: false, detail: `attack failed to run: ${String(err)}` }));
      out.push({ name: attack.name, finding: String(attack.finding), blocked: r.blocked, evidence: r.detail });
    }
    return out;
  } finally {
    await cluster.stopAll();
    await env.cleanup();
  }
}

/** pi start → first get_state answer, plain and sandboxed alternately, on one worktree. */
async function spawnOverhead(root: string): Promise<{ plain: number[]; sandboxed: number[]; diffs: number[]; setup: number[] }> {
  const model = await startScriptedModel({ models: ['scripted'], script: () => ({ text: 'ok' }) });
  const { piBin, wt, agentRoot, agentDir, env, providers } = await setUpPiBench(root, model.url);
  const launcher: Launcher = agentLauncher({ sandbox: new Sandbox(), worktree: wt, agentRoot, programs: [GUARD_EXTENSION_FILE], providers });
  const once = async (sandboxed: boolean) => {
    const t0 = performance.now();
    const pi = await PiRpcProcess.start({ cwd: wt, agentDir, provider: 'local', model: 'scripted', noSession: true, baseEnv: env, piBin, launcher: sandboxed ? launcher : undefined, readyTimeoutMs: 60_000 });
    const ms = performance.now() - t0;
    await pi.stop({ graceMs: 2000 });
    return ms;
  };
  const plain: number[] = [];
  const sandboxed: number[] = [];
  const diffs: number[] = [];
  const setup: number[] = [];
  // The sandbox's own part of a start, without pi's seconds of noisy start-up: from the call to the
  // launcher until the command runs inside (it prints the wall clock in ns; no time namespace, so
  // inside and outside share it), minus the same for a plain spawn. The relay starts beside the
  // command, so it is not on this path.
  const startedAfter = (file: string, args: string[], t0: number) =>
    new Promise<number>((resolve, reject) =>
      execFile(file, args, { env: {} }, (err, stdout) => (err ? reject(err) : resolve(Number(BigInt(stdout.trim()) / 1000n) / 1000 - t0))),
    );
  const wall = () => performance.timeOrigin + performance.now();
  for (let i = 0; i < SETUP_PAIRS; i++) {
    const t0 = wall();
    const cmd = await launcher({ file: '/bin/date', args: ['+%s%N'], cwd: wt, env });
    const inSandbox = await startedAfter(cmd.file, cmd.args, t0);
    await cmd.close();
    const t1 = wall();
    const plainStart = await startedAfter('/bin/date', ['+%s%N'], t1);
    setup.push(inSandbox - plainStart);
  }
  try {
    await once(false); // warm the file cache for both
    await once(true);
    for (let i = 0; i < SPAWN_PAIRS; i++) {
      const first = i % 2 === 0;
      const a = await once(first);
      const b = await once(!first);
      const [s, p] = first ? [a, b] : [b, a];
      sandboxed.push(s);
      plain.push(p);
      diffs.push(s - p);
      log(`spawn pair ${i + 1}/${SPAWN_PAIRS}: sandboxed ${s.toFixed(0)} ms, plain ${p.toFixed(0)} ms`);
    }
  } finally {
    await model.close();
  }
  return { plain, sandboxed, diffs, setup };
}

/** runCommand('true') in a scratch worktree: sandboxed vs GODEL_SANDBOX=off, alternately. */
async function verifyOverhead(root: string): Promise<{ plain: number[]; sandboxed: number[]; diffs: number[] }> {
  const repo = await createSampleRepo(join(root, 'v'));
  const wt = join(root, 'vwt');
  execFileSync('git', ['worktree', 'add', '-q', '--detach', wt], { cwd: repo });
  const on = new Sandbox();
  const off = new Sandbox({ mode: 'off' });
  const once = async (sandboxed: boolean) => {
    const t0 = performance.now();
    const r = await runCommand('true', wt, 30_000, { sandbox: sandboxed ? on : off });
    if (!r.ok) throw new Error(`verification failed: ${r.output}`);
    return performance.now() - t0;
  };
  await once(true);
  await once(false);
  const plain: number[] = [];
  const sandboxed: number[] = [];
  const diffs: number[] = [];
  for (let i = 0; i < VERIFY_PAIRS; i++) {
    const first = i % 2 === 0;
    const a = await once(first);
    const b = await once(!first);
    const [s, p] = first ? [a, b] : [b, a];
    sandboxed.push(s);
    plain.push(p);
    diffs.push(s - p);
  }
  return { plain, sandboxed, diffs };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'godel-bench-sandbox-'));
  try {
    log('attacks…');
    const outcomes = [...(await attacks()), ...(await apiAttacks())];
    for (const o of outcomes) log(`${o.blocked ? 'blocked' : 'NOT BLOCKED'}: ${o.name} — ${o.evidence.slice(0, 160)}`);
    log('spawn overhead…');
    const spawn = await spawnOverhead(join(root, 'spawn'));
    log('verify overhead…');
    const verify = await verifyOverhead(join(root, 'verify'));
    const result = {
      attacks_tried: outcomes.length,
      attacks_blocked: outcomes.filter((o) => o.blocked).length,
      spawn_overhead_ms_p50: r1(median(spawn.diffs)),
      verify_overhead_ms_p50: r1(median(verify.diffs)),
      spawn_ms_p50: { plain: r1(median(spawn.plain)), sandboxed: r1(median(spawn.sandboxed)), pairs: spawn.diffs.length },
      sandbox_setup_ms_p50: r1(median(spawn.setup)),
      spawn_note:
        'spawn_overhead_ms_p50 is the median of paired differences of pi start-to-first-answer (seconds, noisy on a loaded machine); sandbox_setup_ms_p50 is the time from the launcher call until the command runs inside bubblewrap, minus the same for a plain spawn (the sandbox cost on the start path without pi noise). The inside relay (node) starts beside pi, not before it.',
      verify_ms_p50: { plain: r1(median(verify.plain)), sandboxed: r1(median(verify.sandboxed)), pairs: verify.diffs.length },
      targets: { attacks_blocked: 'all (>= 15 across issue 14)', spawn_overhead_ms_p50: 50, verify_overhead_ms_p50: 30 },
      attacks: outcomes,
      scope: 'issue 14: the OS-sandbox attacks (findings 1, 2, 3) against one instance with pi in bubblewrap, then the API attacks (findings 4-7) against a compiled server process',
      machine: { cpus: cpus().length, loadavg: loadavg().map((l) => r1(l)), node: process.version },
      at: new Date().toISOString(),
    };
    mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
    writeFileSync(join(process.cwd(), 'bench', 'results', 'sandbox.json'), `${JSON.stringify(result, null, 2)}\n`);
    const rows: Array<[string, string, string]> = [
      ['attacks_tried (sandbox + API)', String(result.attacks_tried), '>= 15'],
      ['attacks_blocked', String(result.attacks_blocked), `all (${result.attacks_tried})`],
      ['spawn_overhead_ms_p50', String(result.spawn_overhead_ms_p50), '<= 50'],
      ['  pi ready, plain / sandboxed (p50 ms)', `${result.spawn_ms_p50.plain} / ${result.spawn_ms_p50.sandboxed}`, ''],
      ['  sandbox setup: launcher call to exec inside (p50 ms)', String(result.sandbox_setup_ms_p50), ''],
      ['verify_overhead_ms_p50', String(result.verify_overhead_ms_p50), '<= 30'],
      ['  verify `true`, plain / sandboxed (p50 ms)', `${result.verify_ms_p50.plain} / ${result.verify_ms_p50.sandboxed}`, ''],
    ];
    const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
    process.stdout.write(`${'metric'.padEnd(w[0])}  ${'value'.padEnd(w[1])}  target\n`);
    for (const [a, b, c] of rows) process.stdout.write(`${a.padEnd(w[0])}  ${b.padEnd(w[1])}  ${c}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    log(String((err as Error).stack ?? err));
    process.exit(1);
  },
);
