import type { GodelConfig } from '@godel/config';
import { EXIT } from '../cli-error';
import { table, type Output } from '../output';
import { connectApi, orNotFound, type ApiFlags } from './api';

interface TaskView {
  team: string;
  id: string;
  title: string;
  prompt: string;
  role: string;
  dependsOn: string[];
  status: string;
  reason?: string;
  worker?: string;
  round: number;
  reviews: number;
  assignments: number;
  commit?: string;
  merged?: string;
  startedAt?: number;
  finishedAt?: number;
}

/** `godel task list [--team T] [--status S]`: tasks of one team, or of the latest teams. */
export async function taskList(flags: ApiFlags & { team?: string; status?: string }, config: GodelConfig, out: Output): Promise<number> {
  const api = await connectApi(flags, config);
  const q = new URLSearchParams();
  if (flags.team) q.set('team', flags.team);
  if (flags.status) q.set('status', flags.status);
  const { items } = await orNotFound(api.request<{ items: TaskView[] }>('GET', `/api/v1/tasks${q.size ? `?${q}` : ''}`), 'List the teams with `godel team list`');
  out.print(
    items.length === 0
      ? `No tasks${flags.status ? ` with status ${flags.status}` : ''}${flags.team ? ` in team ${flags.team}` : ''}.`
      : table(['team', 'task', 'status', 'worker', 'round', 'merged', 'title'], items.map((t) => [t.team, t.id, t.status, t.worker ?? '-', t.round, t.merged ? t.merged.slice(0, 10) : t.reason ?? '', t.title])),
  );
  out.emit({ ok: true, items });
  return EXIT.ok;
}

/** `godel task get <team> <task>`: one task with its prompt. */
export async function taskGet(team: string, task: string, flags: ApiFlags, config: GodelConfig, out: Output): Promise<number> {
  const api = await connectApi(flags, config);
  const t = await orNotFound(
    api.request<TaskView>('GET', `/api/v1/teams/${encodeURIComponent(team)}/tasks/${encodeURIComponent(task)}`),
    `List the tasks with \`godel task list --team ${team}\``,
  );
  out.print(`${t.team}/${t.id}: ${t.status}${t.reason ? ` (${t.reason})` : ''} — ${t.title}`);
  out.print(`role ${t.role}, worker ${t.worker ?? '-'}, round ${t.round}, reviews ${t.reviews}, depends on ${t.dependsOn.join(', ') || 'nothing'}`);
  if (t.commit || t.merged) out.print(`commit ${t.commit ?? '-'}, merged ${t.merged ?? '-'}`);
  out.print(`prompt:\n${t.prompt}`);
  out.emit({ ok: true, ...t });
  return EXIT.ok;
}
