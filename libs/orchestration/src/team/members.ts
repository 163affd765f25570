import { READ_ONLY_TOOLS } from '@godel/agents';
import type { MemberState, Role, TeamState } from './team-state';
import type { TeamTurn } from './turn';

/** Adds a member and starts its agent (with a first prompt for the coordinator). */
export function addMember(t: TeamTurn, role: Role, name: string, prompt?: string): void {
  const s = t.s;
  const m: MemberState = { name, role, status: 'preparing', lastSeq: 0, restarts: 0 };
  s.members[name] = m;
  if (prompt) awaitPrompt(t, m, prompt);
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
    promptId: m.prompt?.id,
  });
}

/** Gives a member work: it is busy from now on (the monitor measures its progress from here). */
export function promptMember(t: TeamTurn, m: MemberState, text: string): void {
  awaitPrompt(t, m, text);
  m.status = 'running';
  t.tellAgent(m.name, 'agent.prompt', { text, id: m.prompt!.id });
}

/** The team awaits this prompt's turn: its id makes a resend (monitor.ts) harmless. */
function awaitPrompt(t: TeamTurn, m: MemberState, text: string): void {
  m.busySince = t.now;
  m.prompts = (m.prompts ?? 0) + 1;
  m.prompt = { id: `${t.s.team}/${m.name}/${m.prompts}`, text, at: t.now, resent: 0 };
}

export function liveWorkers(s: TeamState): MemberState[] {
  return Object.values(s.members).filter((m) => m.role === 'worker' && !m.retired);
}

export function reviewer(s: TeamState): MemberState | undefined {
  return Object.values(s.members).find((m) => m.role === 'reviewer' && !m.retired);
}

export const TERMINAL_TEAM: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);
