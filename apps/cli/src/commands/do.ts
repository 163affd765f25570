import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { inheritedEnv, type GodelConfig } from '@godel/config';
import { prepareIntent } from '@godel/orchestration';
import { parse as parseYaml } from 'yaml';
import { ApiClient } from '../api-client';
import { CliError, EXIT } from '../cli-error';
import type { Lifecycle } from '../lifecycle';
import type { GodelEvent } from '../http';
import { table, type Output } from '../output';
import { writeRecord } from '../run-record';
import { copySampleRepo } from '../sample-repo';
import { resolveServices } from '../services';
import { serverEntry } from './up';

export interface DoOptions {
  intent?: string;
  repo?: string;
  target?: string;
  verify?: string;
  workflow?: string;
  concurrency?: number;
  budgetUsd?: number;
  budgetTokens?: number;
  /** The target's verification may already be red; the team need not fix it first. */
  allowRedBase?: boolean;
  dryRun?: boolean;
  /** A running Godel server; without it a local one is started for this command. */
  url?: string;
  /** Run on a fresh copy of the bundled sample repository with its scripted playbook. */
  sample?: boolean;
  /** Offline scripted model playbook for the local server. */
  playbook?: string;
  timeoutS?: number;
}

interface TeamView {
  team: string;
  status: string;
  reason: string | null;
  taskList: Array<{ id: string; title: string; status: string; worker?: string; round: number; merged?: string; reason?: string }>;
  ledger: Array<{ task: string; commit: string; outcome: string; merged?: string; commits?: number; reason?: string }>;
  members: Array<{ name: string; role: string; status: string; task: string | null }>;
  usage: { total: number; costUsd: number } | null;
  createdAt: number | null;
  finishedAt: number | null;
}

type EventView = GodelEvent;

const short = (agent: string) => agent.replace(/^agent\/[^:]+:/, '');
const failing = (d: Record<string, unknown>) => ((d.failures as string[] | undefined) ?? []).slice(0, 3).join(' | ');

/** Where the bundled sample lives (source tree or next to dist). */
function examplesDir(): string {
  const candidates = [join(__dirname, '..', '..', '..', '..', 'examples'), join(__dirname, '..', '..', '..', '..', '..', 'examples')];
  const found = candidates.find((d) => existsSync(join(d, 'calc')));
  if (!found) throw new CliError('do.sample_missing', `the bundled sample (examples/calc) is missing; looked in ${candidates.join(', ')}`, EXIT.usage);
  return found;
}

/** A fresh git repository with the sample's files, under the Godel home. */
async function sampleRepo(config: GodelConfig): Promise<{ repo: string; playbook: string; intent: string; verify?: string }> {
  const ex = examplesDir();
  const repo = await copySampleRepo(join(config.homeDir, 'samples', Date.now().toString(36)), join(ex, 'calc'));
  const playbook = join(ex, 'calc.playbook.yaml');
  const book = parseYaml(readFileSync(playbook, 'utf8')) as { intent?: string; verify?: string };
  return { repo, playbook, intent: book.intent ?? 'add a calculator library', verify: book.verify };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** A Godel server for this command only: local services, the compiled server on a free port. */
async function startLocalServer(config: GodelConfig, out: Output, life: Lifecycle, repo: string, playbook?: string): Promise<ApiClient> {
  const services = await resolveServices(config, out, life);
  const port = await freePort();
  out.progress(`Starting a local Godel server on port ${port}${playbook ? ' (offline scripted model playing the sample playbook)' : ''}…`);
  // This command's own admin key and signing secret: the server lives as long as the command.
  const adminKey = randomBytes(32).toString('hex');
  const env: Record<string, string | undefined> = {
    ...inheritedEnv(),
    REDIS_URL: services.redis.url,
    DATABASE_URL: services.postgres.url,
    GODEL_PORT: String(port),
    GODEL_ADMIN_KEY: adminKey,
    GODEL_JWT_SECRET: randomBytes(32).toString('hex'),
    // This server works on this one repository (its real path; symlinks are resolved).
    GODEL_REPO_ROOTS: existsSync(repo) ? realpathSync(repo) : repo,
  };
  if (playbook) env.GODEL_PLAYBOOK = playbook;
  const child = spawn(process.execPath, [serverEntry()], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let running = true;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  void exited.then(() => (running = false));
  life.trackPids(() => (running && child.pid ? [child.pid] : []));
  life.defer('stop the local Godel server', async () => {
    if (!running) return;
    out.progress('Stopping the local Godel server…');
    child.kill('SIGTERM');
    const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(guard);
  }, 20_000);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    if (!running) throw new CliError('do.server_exited', `the local Godel server exited while starting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, EXIT.checkFailed);
    const ok = await fetch(`${url}/ready`).then((r) => r.ok).catch(() => false);
    if (ok) return ApiClient.connect(url, { apiKey: adminKey, credentialsFile: config.cli.credentialsFile });
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new CliError('do.server_timeout', 'the local Godel server did not become ready within 60 s: run `godel up --verbose` to see why', EXIT.checkFailed);
}

/** One line per event worth showing a person. */
function describe(e: EventView): string | undefined {
  const d = e.data;
  const task = d.task ? String(d.task) : '';
  switch (e.type) {
    case 'team.planned':
      return `plan (${String(d.source)}): ${(d.tasks as Array<{ id: string; dependsOn: string[] }>).map((t) => (t.dependsOn.length ? `${t.id} ← ${t.dependsOn.join(',')}` : t.id)).join('; ')}`;
    case 'plan.rejected':
      return `the coordinator's plan was rejected (${(d.problems as string[]).join('; ')}); asking again`;
    case 'task.ready':
    case 'task.in_review':
    case 'task.merging':
    case 'task.cancelled':
    case 'task.failed':
      return `task ${task}: ${e.type.slice(5)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'task.running':
      return `task ${task}: running on ${String(d.worker)}${d.reason ? ` (${String(d.reason)})` : ''}`;
    case 'task.done':
      return `task ${task}: done${d.merged ? `, merged ${String(d.merged).slice(0, 10)}${d.commits !== undefined ? ` (${String(d.commits)} commit${d.commits === 1 ? '' : 's'})` : ''}` : ` (${d.verdict === 'approve' ? 'review accepted' : 'no merge'})`}${d.redAsBaseline ? ' — verification red as before the team started, not charged to it' : ''}`;
    case 'task.no_changes':
      return d.action === 'failed' ? `task ${task}: no change again — the task fails (task.no_changes)` : `task ${task}: ${short(e.agent)}'s turn left no change in its worktree; told once`;
    case 'task.work_kept':
      return `task ${task}: its unmerged work is kept on branch ${String(d.branch)} in ${String(d.repo)}`;
    case 'baseline.finished':
      return d.ok
        ? `baseline: the verification passes on the target before any change (${String(d.ms)} ms)`
        : `baseline: the verification FAILS on the target before any change (exit ${String(d.code)}): ${failing(d) || 'see the output'}${d.allowRedBase ? ' — allowed (--allow-red-base)' : ' — the plan must fix it'}`;
    case 'provider.failover':
      return `${short(e.agent)}: provider failover ${String(d.from)} → ${String(d.to)} (${String(d.cause).slice(0, 160)})`;
    case 'merge.red':
      return `merge of ${task}: verification red (exit ${String(d.code)}${d.timedOut ? ', timed out' : ''}): ${failing(d) || 'see the output'}`;
    case 'review.changes_requested':
      return `review of ${task}: changes requested — ${String(d.comments)}`;
    case 'review.approved':
      return `review of ${task}: approved`;
    case 'merge.verify_finished':
      return `merge of ${task}: verification ${d.ok ? 'green' : d.asBaseline ? 'red with only the failures the target already had' : 'red'} (${String(d.ms)} ms)`;
    case 'merge.conflict':
      return `merge of ${task}: conflict in ${(d.files as string[]).join(', ')}`;
    case 'merge.blocked':
      return `merge of ${task}: blocked — ${String(d.detail)} (will retry)`;
    case 'monitor.restarted':
    case 'monitor.stuck':
    case 'monitor.reassigned':
    case 'monitor.escalated':
    case 'monitor.replaced':
      return `monitor: ${e.type.slice(8)} ${String(d.agent)}${task ? ` (task ${task})` : ''}${d.reason ? `: ${String(d.reason)}` : ''}`;
    case 'budget.exceeded': {
      const over = d.overshoot as { tokens?: number; costUsd?: number } | undefined;
      // The overshoot is the same whether counted on the agent's remaining share or on the whole budget.
      const budget = (d.scope === 'team' ? d.teamBudget : d.budget) as { tokens?: number; costUsd?: number } | undefined;
      const measured =
        over?.tokens !== undefined
          ? `; ${over.tokens} tokens over the ${d.scope === 'team' ? "team's" : "agent's"} budget of ${String(budget?.tokens)} (one model response: ${String(d.lastResponseTokens)})`
          : over?.costUsd !== undefined
            ? `; $${over.costUsd.toFixed(4)} over the budget of $${String(budget?.costUsd)}`
            : '';
      return `budget exceeded (${String(d.scope)}) by ${short(e.agent)}${d.midTurn ? ', stopped mid-turn' : ''}${measured}`;
    }
    default:
      return undefined;
  }
}

/**
 * `godel do "<intent>" --repo PATH`: a team takes the intent to merged, verified commits. Shows the
 * plan and live progress (tasks, reviews, merges, monitor decisions), then a summary (commits
 * merged, cost, time); exit 0 when every task is done, 1 otherwise. `--dry-run` prints the plan.
 */
export async function runDo(o: DoOptions, config: GodelConfig, out: Output, life: Lifecycle): Promise<number> {
  let { intent, repo, verify } = o;
  let playbook = o.playbook;
  if (o.sample) {
    if (o.url) throw new CliError('do.usage', '--sample runs on a local server with the sample playbook; leave out --url', EXIT.usage);
    const s = await sampleRepo(config);
    repo = s.repo;
    playbook = s.playbook;
    intent ??= s.intent;
    verify ??= s.verify;
    out.progress(`Sample repository: ${repo} (a fresh copy of examples/calc)`);
  }
  if (o.playbook && o.url) throw new CliError('do.usage', '--playbook is for the local server this command starts (offline scripted model); leave out --url, or configure the remote server with GODEL_PLAYBOOK', EXIT.usage);
  if (!repo) throw new CliError('do.usage', 'say which repository: --repo PATH (or --sample for the bundled sample)', EXIT.usage);
  if (!intent?.trim()) throw new CliError('intent.invalid', 'the intent is empty: say what the team should do, e.g. godel do "add a /health endpoint" --repo .', EXIT.usage);
  const request = {
    intent,
    repo: resolve(repo),
    target: o.target,
    verify,
    workflow: o.workflow,
    concurrency: o.concurrency,
    budget: o.budgetUsd !== undefined || o.budgetTokens !== undefined ? { costUsd: o.budgetUsd, tokens: o.budgetTokens } : undefined,
    ...(o.allowRedBase ? { allowRedBase: true } : {}),
  };

  if (!o.url) {
    // Every check runs before anything starts (no Redis, PostgreSQL or server for bad input), with the
    // providers the local server will use: GODEL_PROVIDERS, else the offline scripted model (no price).
    const providers = config.providers.length > 0 ? config.providers : [{ provider: 'scripted', model: 'scripted' }];
    const prepared = await prepareIntent(request, providers).catch((err: unknown) => {
      throw new CliError((err as { code?: string }).code ?? 'intent.invalid', (err as Error).message, EXIT.usage);
    });
    if (o.dryRun) {
      printPlan(out, prepared.plan);
      out.emit({ ok: true, dryRun: true, plan: prepared.plan });
      return EXIT.ok;
    }
  }

  const api = o.url ? await ApiClient.connect(o.url, { apiKey: config.cli.apiKey, credentialsFile: config.cli.credentialsFile }) : await startLocalServer(config, out, life, request.repo, playbook);
  const started = await api.request<{ team?: string; intentId?: string; plan: Record<string, unknown> }>('POST', '/api/v1/intents', { ...request, dryRun: !!o.dryRun });
  if (o.dryRun) {
    printPlan(out, started.plan);
    out.emit({ ok: true, dryRun: true, plan: started.plan });
    return EXIT.ok;
  }
  const team = started.team!;
  out.progress(`Team ${team} formed for: ${intent}`);
  out.emit({ event: 'team.started', team, intentId: started.intentId, plan: started.plan });

  let after = 0;
  const seen: EventView[] = [];
  let endedAt: number | undefined;
  let cleaned = false;
  let lastSignature = '';
  let lastStatusAt = 0;
  const deadline = Date.now() + (o.timeoutS ?? 3600) * 1000;
  let view: TeamView;
  for (;;) {
    const events = await api.request<{ items: EventView[] }>('GET', `/api/v1/events?team=${encodeURIComponent(team)}&after=${after}&limit=500`);
    for (const e of events.items) {
      after = e.seq;
      seen.push(e);
      if (e.type === 'team.cleaned_up') cleaned = true;
      const line = describe(e);
      if (line) out.progress(line);
      out.emit({ event: e.type, seq: e.seq, agent: e.agent || undefined, data: e.data });
    }
    view = await api.request<TeamView>('GET', `/api/v1/teams/${team}`);
    if (['succeeded', 'failed', 'cancelled'].includes(view.status) && events.items.length === 0) {
      // The team's end removes its worktrees and branches; wait for that (bounded) before reporting.
      endedAt ??= Date.now();
      if (cleaned || Date.now() - endedAt > 30_000) break;
    }
    // A status line when something changed, at most every 3 s: tasks, busy agents, tokens and cost.
    const signature = `${view.taskList.map((t) => t.status).join()}|${view.members.map((m) => m.status).join()}`;
    if (signature !== lastSignature && Date.now() - lastStatusAt >= 3000) {
      lastSignature = signature;
      lastStatusAt = Date.now();
      const usage = await api.request<{ total: number; costUsd: number }>('GET', `/api/v1/teams/${team}/usage`).catch(() => ({ total: 0, costUsd: 0 }));
      const counts = new Map<string, number>();
      for (const t of view.taskList) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
      const busy = view.members.filter((m) => m.status === 'running').length;
      out.progress(
        `status: tasks ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'being planned'} · agents ${busy} busy / ${view.members.length} · ${usage.total.toLocaleString('en-US')} tokens, $${usage.costUsd.toFixed(4)}`,
      );
      out.emit({ event: 'status', tasks: Object.fromEntries(counts), agentsBusy: busy, agents: view.members.length, usage });
    }
    if (Date.now() > deadline) {
      await api.request('POST', `/api/v1/teams/${team}/cancel`, { reason: `godel do --timeout ${o.timeoutS ?? 3600}s reached` });
      out.warn(`timed out after ${o.timeoutS ?? 3600} s: team ${team} cancelled`);
      view = await api.request<TeamView>('GET', `/api/v1/teams/${team}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 400));
  }

  const merged = view.ledger.filter((l) => l.outcome === 'merged');
  // Commits really added to the target (a task's merge may bring several), not tasks.
  const commits = merged.reduce((n, l) => n + (l.commits ?? 1), 0);
  const cleanup = [...seen].reverse().find((e) => e.type === 'team.cleaned_up')?.data as
    | { removed: Array<{ agent: string; worktree?: string; branch?: string }>; kept: Array<{ task: string; branch: string; reason: string }>; attemptRefsPruned: number }
    | undefined;
  const seconds = view.finishedAt && view.createdAt ? (view.finishedAt - view.createdAt) / 1000 : undefined;
  const summary = {
    ok: view.status === 'succeeded',
    team,
    status: view.status,
    reason: view.reason,
    repo: request.repo,
    merged: merged.map((l) => ({ task: l.task, commit: l.merged, commits: l.commits })),
    commits,
    cleanup: cleanup ?? null,
    notMerged: view.ledger.filter((l) => l.outcome !== 'merged').map((l) => ({ task: l.task, commit: l.commit, outcome: l.outcome, reason: l.reason })),
    tasks: view.taskList.map((t) => ({ id: t.id, status: t.status, rounds: t.round, reason: t.reason })),
    usage: view.usage,
    seconds,
  };
  const report: string[] = [
    '',
    table(['task', 'status', 'rounds', 'merged'], view.taskList.map((t) => [t.id, t.status, t.round, t.merged ? t.merged.slice(0, 10) : t.reason ?? ''])),
    '',
    `${view.status === 'succeeded' ? '✓' : '✗'} ${view.status}: ${commits} commit${commits === 1 ? '' : 's'} merged into ${o.target ?? 'main'} of ${request.repo} (${merged.length} of ${view.taskList.length} task${view.taskList.length === 1 ? '' : 's'})` +
      `${seconds !== undefined ? ` in ${seconds.toFixed(1)} s` : ''}; ${view.usage ? `${view.usage.total} tokens, $${view.usage.costUsd.toFixed(4)}` : 'usage unknown'}` +
      (view.reason ? `\n  reason: ${view.reason}` : ''),
  ];
  if (cleanup) {
    report.push(`  cleaned up: ${cleanup.removed.length} worktree${cleanup.removed.length === 1 ? '' : 's'} and their branches removed, ${cleanup.attemptRefsPruned} attempt ref${cleanup.attemptRefsPruned === 1 ? '' : 's'} pruned`);
    for (const k of cleanup.kept) report.push(`  kept: branch ${k.branch} in ${request.repo} (${k.reason}); look at it with: git -C ${request.repo} worktree add ../${k.task}-failed ${k.branch}`);
  } else out.warn(`the team's worktrees were not confirmed removed within 30 s; look under ${config.homeDir}/worktrees/${team}`);
  // A one-shot run's server is gone when the command ends: its record stays readable.
  const record = o.url ? undefined : await writeRecord(config.homeDir, team, seen, summary, report.join('\n')).catch((err: unknown) => void out.warn(`could not write the run's record: ${(err as Error).message}`));
  report.push(
    record
      ? `  see what happened: godel events replay --team ${team} (the run's record: ${record}/events.jsonl, summary.json, report.txt)`
      : `  see what happened: godel events replay --team ${team} --url ${o.url}`,
  );
  for (const line of report) out.print(line);
  out.emit({ event: 'summary', ...summary, record: record ?? null });
  return view.status === 'succeeded' ? EXIT.ok : EXIT.checkFailed;
}

function printPlan(out: Output, plan: Record<string, unknown>): void {
  out.print(`Plan (dry run, nothing started): repository ${String(plan.repo)}, target ${String(plan.target)}, verification ${plan.verify ? `\`${String(plan.verify)}\`` : 'none'}`);
  out.print(`Team: ${(plan.members as string[]).join(', ')}`);
  const tasks = plan.tasks;
  if (typeof tasks === 'string') out.print(`Tasks: ${tasks}`);
  else out.print(table(['task', 'role', 'depends on', 'title'], (tasks as Array<{ id: string; role: string; dependsOn: string[]; title: string }>).map((t) => [t.id, t.role, t.dependsOn.join(', ') || '-', t.title])));
}
