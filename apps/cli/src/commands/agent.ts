import { CliError, EXIT } from '../cli-error';
import type { GodelHttp } from '../http';
import { table, type Output } from '../output';

/** An agent as the server returns it (GET /api/v1/agents/:team/:name); only the fields the CLI shows are typed. */
export interface AgentView {
  status: string;
  team: string;
  name: string;
  role?: string;
  branch?: string;
  worktree?: string;
  usage?: { total: number; costUsd: number };
  reason?: string;
  [k: string]: unknown;
}

/** `team/name` (or `team:name`, or the address `agent/team:name`) → [team, name]. */
export function parseAgentRef(ref: string): [string, string] {
  const m = /^(?:agent\/)?([^/:\s]+)[/:]([^/:\s]+)$/.exec(ref);
  if (!m) throw new CliError('cli.bad_agent', `"${ref}" is not an agent: write it as TEAM/NAME, e.g. web/a1 (\`godel agent list\` shows them)`, EXIT.usage);
  return [m[1], m[2]];
}

const path = (ref: string, suffix = '') => {
  const [team, name] = parseAgentRef(ref);
  return `/api/v1/agents/${encodeURIComponent(team)}/${encodeURIComponent(name)}${suffix}`;
};

function describe(a: AgentView): string {
  const rows: Array<[string, string]> = [
    ['agent', `${a.team}/${a.name}`],
    ['status', a.status],
    ['role', a.role ?? ''],
    ['branch', a.branch ?? ''],
    ['worktree', a.worktree ?? ''],
    ['tokens', String(a.usage?.total ?? 0)],
    ['cost', `$${(a.usage?.costUsd ?? 0).toFixed(4)}`],
  ];
  if (a.reason) rows.push(['reason', a.reason]);
  return rows.map(([k, v]) => `${k.padEnd(9)} ${v}`).join('\n');
}

export async function agentList(http: GodelHttp, out: Output, team?: string): Promise<number> {
  const r = await http.get<{ items: Array<{ address: string; state: Record<string, unknown> }> }>('/api/v1/agents', { team });
  out.emit(r);
  const rows = r.items.map((i) => {
    const s = i.state as Partial<AgentView>;
    return [`${s.team}/${s.name}`, String(s.status ?? ''), String(s.role ?? ''), s.usage?.total ?? 0, `$${(s.usage?.costUsd ?? 0).toFixed(4)}`];
  });
  out.print(rows.length ? table(['AGENT', 'STATUS', 'ROLE', 'TOKENS', 'COST'], rows) : `no agents${team ? ` in team ${team}` : ''} (start one with POST /api/v1/agents)`);
  return EXIT.ok;
}

export async function agentGet(http: GodelHttp, out: Output, ref: string): Promise<number> {
  const a = await http.get<AgentView>(path(ref));
  out.emit(a);
  out.print(describe(a));
  return EXIT.ok;
}

/** steer / abort / stop / fork: POST /api/v1/agents/:team/:name/:action, prints the agent's new state. */
export async function agentAction(http: GodelHttp, out: Output, ref: string, action: 'steer' | 'abort' | 'stop' | 'fork', body: Record<string, string | undefined>): Promise<number> {
  const clean = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  const a = await http.post<AgentView>(path(ref, `/${action}`), clean);
  out.emit(a);
  out.print(action === 'fork' ? `forked ${ref} → ${a.team}/${a.name}\n${describe(a)}` : `${action}: ${ref}\n${describe(a)}`);
  return EXIT.ok;
}
