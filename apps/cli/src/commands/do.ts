import { resolve } from 'node:path';
import type { GodelConfig } from '@godel/config';
import { prepareIntent } from '@godel/orchestration';
import { ApiClient } from '../api-client';
import { CliError, EXIT } from '../cli-error';
import type { Lifecycle } from '../lifecycle';
import type { GodelEvent } from '../http';
import { table, type Output } from '../output';
import { writeRecord } from '../run-record';
import { sampleRepo, startLocalServer } from './do-local';
import { describe, printPlan } from './do-render';

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
