import { GodelError, type Message } from '@godel/actors';
import type { AgentUpdate } from '@godel/agents';
import type { BaselineResult, MergeResult } from '../refinery/refinery';
import type { StartTeam } from './team-state';
import type { WorkCommitted } from './turn';

/** Everything a team actor handles, by message type. */
export type TeamMessage =
  | { type: 'team.start'; payload: StartTeam }
  | { type: 'team.agent_update'; payload: AgentUpdate }
  | { type: 'team.baseline_result'; payload: BaselineResult }
  | { type: 'team.merge_result'; payload: MergeResult }
  /** `fail`: the team fails (its remote is gone, see effects.ts) rather than being cancelled. */
  | { type: 'team.cancel'; payload: { reason?: string; fail?: boolean } }
  /** From the team's own `commit_work` effect (the sender is the team itself). */
  | { type: 'team.work_committed'; payload: WorkCommitted }
  /** The monitor's durable reminder (the only reminder a team schedules). */
  | { type: 'reminder'; payload: Record<string, unknown> }
  | { type: 'get'; payload: Record<string, unknown> };

export type TeamMessageType = TeamMessage['type'];

/** A message a team cannot read: an unknown type, or a payload without the fields its type needs. */
export class TeamMessageInvalidError extends GodelError {
  readonly code = 'team.message_invalid';
  readonly retryable = false;
  constructor(type: string, problem: string) {
    super(`team: ${problem} (${type})`, { type, problem });
  }
}

type Fields = Record<string, unknown>;

function isRecord(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStartTeam(p: Fields): p is Fields & StartTeam {
  return typeof p.intent === 'string' && typeof p.intentId === 'string' && typeof p.repo === 'string' && typeof p.target === 'string' && Array.isArray(p.providers);
}

function isAgentUpdate(p: Fields): p is Fields & AgentUpdate {
  return typeof p.name === 'string' && typeof p.event === 'string' && typeof p.status === 'string' && typeof p.seq === 'number';
}

function isBaselineResult(p: Fields): p is Fields & BaselineResult {
  return typeof p.ok === 'boolean' && typeof p.output === 'string' && Array.isArray(p.failures) && typeof p.commit === 'string';
}

function isMergeResult(p: Fields): p is Fields & MergeResult {
  return typeof p.kind === 'string' && typeof p.task === 'string' && typeof p.attempt === 'number' && typeof p.commit === 'string';
}

function isWorkCommitted(p: Fields): p is Fields & WorkCommitted {
  const optional = (v: unknown) => v === undefined || typeof v === 'string';
  return typeof p.task === 'string' && typeof p.round === 'number' && typeof p.assignment === 'number' && (p.purpose === 'review' || p.purpose === 'unfinished') && optional(p.commit) && optional(p.error);
}

/** Reads a runtime message as a team message: the type must be known and its payload fit it. */
export function toTeamMessage(m: Message): TeamMessage {
  const p: Fields = isRecord(m.payload) ? m.payload : {};
  const bad = (what: string): never => {
    throw new TeamMessageInvalidError(m.type, what);
  };
  switch (m.type) {
    case 'team.start':
      return isStartTeam(p) ? { type: m.type, payload: p } : bad('a start needs intent, intentId, repo, target and providers');
    case 'team.agent_update':
      return isAgentUpdate(p) ? { type: m.type, payload: p } : bad('an agent update needs name, event, status and seq');
    case 'team.baseline_result':
      return isBaselineResult(p) ? { type: m.type, payload: p } : bad('a baseline result needs ok, output, failures and commit');
    case 'team.merge_result':
      return isMergeResult(p) ? { type: m.type, payload: p } : bad('a merge result needs kind, task, attempt and commit');
    case 'team.work_committed':
      return isWorkCommitted(p) ? { type: m.type, payload: p } : bad('a work commit needs task, round, assignment and purpose');
    case 'team.cancel':
      return { type: m.type, payload: { ...(p.reason === undefined ? {} : { reason: String(p.reason) }), ...(p.fail === true ? { fail: true } : {}) } };
    case 'reminder':
    case 'get':
      return { type: m.type, payload: p };
    default:
      return bad('unknown message');
  }
}
