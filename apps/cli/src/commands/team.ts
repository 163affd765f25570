import type { GodelConfig } from '@godel/config';
import { EXIT } from '../cli-error';
import { table, type Output } from '../output';
import { connectApi, orNotFound, type ApiFlags } from './api';

/** A team as GET /api/v1/teams lists it. */
export interface TeamSummary {
  team: string;
  intentId: string;
  intent: string;
  status: string;
  reason: string | null;
  repo: string;
  target: string;
  workflow: string | null;
  tasks: Record<string, number>;
  merged: number;
  members: Array<{ name: string; role: string; status: string; task: string | null; retired: boolean }>;
  usage: { total: number; costUsd: number } | null;
  createdAt: number | null;
  finishedAt: number | null;
}

interface TeamDetail extends TeamSummary {
  verify: string | null;
  ledger: Array<{ task: string; commit: string; outcome: string; merged?: string; reason?: string }>;
  taskList: Array<{ id: string; title: string; status: string; worker?: string; round: number; dependsOn: string[]; merged?: string; reason?: string }>;
}

const cost = (u: TeamSummary['usage']) => (u ? `$${u.costUsd.toFixed(4)}` : '-');
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';
const short = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const listHint = 'List the teams with `godel team list`';

/** `godel team list [--status S]`: teams, newest first. */
export async function teamList(flags: ApiFlags & { status?: string; limit?: number }, config: GodelConfig, out: Output): Promise<number> {
  const api = await connectApi(flags, config);
  const q = new URLSearchParams();
  if (flags.status) q.set('status', flags.status);
  if (flags.limit) q.set('limit', String(flags.limit));
  const { items } = await api.request<{ items: TeamSummary[] }>('GET', `/api/v1/teams${q.size ? `?${q}` : ''}`);
  out.print(
    items.length === 0
      ? `No teams${flags.status ? ` with status ${flags.status}` : ''} on ${api.url}. Start one with \`godel do "<intent>" --repo PATH --url ${api.url}\`.`
      : table(['team', 'status', 'tasks', 'merged', 'cost', 'intent'], items.map((t) => [t.team, t.status, counts(t.tasks), t.merged, cost(t.usage), short(t.intent, 60)])),
  );
  out.emit({ ok: true, items });
  return EXIT.ok;
}

/** `godel team get <team>`: status, members, tasks and what was merged. */
export async function teamGet(team: string, flags: ApiFlags, config: GodelConfig, out: Output): Promise<number> {
  const api = await connectApi(flags, config);
  const t = await orNotFound(api.request<TeamDetail>('GET', `/api/v1/teams/${encodeURIComponent(team)}`), listHint);
  out.print(`${t.team}: ${t.status}${t.reason ? ` (${t.reason})` : ''}`);
  out.print(`intent: ${t.intent}`);
  out.print(`repository: ${t.repo} → ${t.target}${t.verify ? `, verified with \`${t.verify}\`` : ''}${t.workflow ? `, workflow ${t.workflow}` : ''}`);
  out.print(`merged: ${t.merged} commit${t.merged === 1 ? '' : 's'}; usage: ${t.usage ? `${t.usage.total} tokens, ${cost(t.usage)}` : 'unknown'}`);
  out.print('');
  out.print(table(['task', 'status', 'worker', 'round', 'depends on', 'merged', 'title'], t.taskList.map((x) => [x.id, x.status, x.worker ?? '-', x.round, x.dependsOn.join(', ') || '-', x.merged ? x.merged.slice(0, 10) : x.reason ?? '', short(x.title, 50)])));
  out.print('');
  out.print(table(['member', 'role', 'status', 'task'], t.members.map((m) => [m.name, m.role, `${m.status}${m.retired ? ' (retired)' : ''}`, m.task ?? '-'])));
  out.emit({ ok: true, ...t });
  return EXIT.ok;
}

/** `godel team cancel <team>`: stops the team's agents; merged commits stay. */
export async function teamCancel(team: string, flags: ApiFlags & { reason?: string }, config: GodelConfig, out: Output): Promise<number> {
  const api = await connectApi(flags, config);
  const t = await orNotFound(api.request<TeamSummary>('POST', `/api/v1/teams/${encodeURIComponent(team)}/cancel`, flags.reason ? { reason: flags.reason } : {}), listHint);
  out.print(`${t.team}: ${t.status}${t.reason ? ` (${t.reason})` : ''}; ${t.merged} commit${t.merged === 1 ? '' : 's'} merged before it stopped.`);
  out.emit({ ok: true, ...t });
  return EXIT.ok;
}
