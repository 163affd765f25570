import { READ_ONLY_TOOLS } from '@godel/agents';
import type { MemberState, Role, TeamState } from './team-state';
import type { TeamTurn } from './turn';

/** Adds a member and starts its agent (with a first prompt for the coordinator). */
export function addMember(t: TeamTurn, role: Role, name: string, prompt?: string): void {
  const s = t.s;
  s.members[name] = { name, role, status: 'preparing', lastSeq: 0, restarts: 0, busySince: prompt ? t.now : undefined };
  t.tellAgent(name, 'agent.start', {
    repo: s.repo,
    baseRef: s.startCommit ?? s.target,
    role,
    // The reviewer and the planning coordinator read; only workers write (and run bash).
    tools: role === 'worker' ? undefined : [...READ_ONLY_TOOLS],
    providers: s.providers,
    tier: role === 'worker' ? 'cheap' : 'strong',
    teamBudget: s.budget,
    correlationId: s.intentId,
    owner: t.self,
    prompt,
  });
}

/** Gives a member work: it is busy from now on (the monitor measures its progress from here). */
export function promptMember(t: TeamTurn, m: MemberState, text: string): void {
  m.busySince = t.now;
  m.status = 'running';
  t.tellAgent(m.name, 'agent.prompt', { text });
}

export function liveWorkers(s: TeamState): MemberState[] {
  return Object.values(s.members).filter((m) => m.role === 'worker' && !m.retired);
}

export function reviewer(s: TeamState): MemberState | undefined {
  return Object.values(s.members).find((m) => m.role === 'reviewer' && !m.retired);
}

export const TERMINAL_TEAM: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
