/**
 * Latency of WorktreeManager.create with N concurrent calls in one repository (real git, temp
 * repo with a shared node_modules). Each call's latency runs from the call to its resolution, so
 * it includes waiting for the per-repository queue. Prints a table; `--out file.json` writes JSON.
 *
 *   node dist/libs/workspace/bench/worktree-create.bench.js [--concurrency 20] [--rounds 5] [--files 200] [--out r.json]
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGitRunner } from '../src/git/git-runner';
import { WorktreeManager } from '../src/worktree-manager';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function round(concurrency: number, files: number): Promise<{ latencies: number[]; wallMs: number; single: number }> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'godel-ws-bench-')));
  try {
    const repo = join(dir, 'repo');
    const git = createGitRunner();
    await mkdir(join(repo, 'src'), { recursive: true });
    await git(['init', '-q', '-b', 'main'], { cwd: repo });
    for (let i = 0; i < files; i++) await writeFile(join(repo, 'src', `f${i}.ts`), `export const v${i} = ${i};\n`);
    await mkdir(join(repo, 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(repo, '.gitignore'), 'node_modules/\n');
    await git(['add', '-A'], { cwd: repo });
    await git(['-c', 'user.name=bench', '-c', 'user.email=bench@godel.invalid', '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'init'], { cwd: repo });
    const m = new WorktreeManager({ repoPath: repo, worktreesRoot: join(dir, 'wt'), sharedDirs: ['node_modules'] });

    const singleStart = performance.now();
    await m.create({ team: 'solo', agent: 'a', baseRef: 'main' });
    const single = performance.now() - singleStart;

    const start = performance.now();
    const latencies = await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const t0 = performance.now();
        await m.create({ team: 'swarm', agent: `a${i}`, baseRef: 'main' });
        return performance.now() - t0;
      }),
    );
    return { latencies, wallMs: performance.now() - start, single };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const concurrency = arg('concurrency', 20);
  const rounds = arg('rounds', 5);
  const files = arg('files', 200);
  const all: number[] = [];
  const walls: number[] = [];
  const singles: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const { latencies, wallMs, single } = await round(concurrency, files);
    all.push(...latencies);
    walls.push(wallMs);
    singles.push(single);
  }
  all.sort((a, b) => a - b);
  const result = {
    bench: 'worktree-create',
    concurrency,
    rounds,
    filesInRepo: files,
    createMs: { p50: percentile(all, 50), p95: percentile(all, 95), max: all[all.length - 1] },
    wallMsPerRound: { median: percentile([...walls].sort((a, b) => a - b), 50) },
    singleCreateMs: { median: percentile([...singles].sort((a, b) => a - b), 50) },
  };
  const f = (n: number) => n.toFixed(0).padStart(7);
  console.log(`worktree create, ${concurrency} concurrent x ${rounds} rounds, ${files} files`);
  console.log('metric                         ms');
  console.log(`create p50 (incl. queue)  ${f(result.createMs.p50)}`);
  console.log(`create p95 (incl. queue)  ${f(result.createMs.p95)}`);
  console.log(`create max                ${f(result.createMs.max)}`);
  console.log(`all ${concurrency} done (median)     ${f(result.wallMsPerRound.median)}`);
  console.log(`one create alone (median) ${f(result.singleCreateMs.median)}`);
  const out = process.argv.indexOf('--out');
  if (out > 0) await writeFile(process.argv[out + 1], `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
