import type { AgentUpdate } from '@godel/agents';
import { onWorkCommitted } from './committed';
import { finish, onCleanedUp } from './finish';
import { TERMINAL_TEAM } from './members';
import { lateMerge, onMergeResult } from './merge';
import type { TeamMessage } from './messages';
import { monitorTick, onMemberLost, onRestarted } from './monitor';
import { maybePlan, onBaseline, onPlan, start, startPool } from './planning';
import { onReview, onWorkerDone } from './review';
import { schedule } from './schedule';
import type { TeamState } from './team-state';
import { TeamTurn, type TeamEffect, type TeamReads } from './turn';

/** Ended, or ending (waiting for the commits of its running tasks' work): no new decisions. */
function closing(s: TeamState): boolean {
  return TERMINAL_TEAM.has(s.status) || s.finishing !== undefined;
}

async function onAgentUpdate(t: TeamTurn, u: AgentUpdate): Promise<void> {
  const s = t.s;
  const m = s.members[u.name];
  if (!m || u.seq <= m.lastSeq) return;
  m.lastSeq = u.seq;
  m.status = u.status;
  if (u.event === 'turn_completed') {
    m.busySince = undefined;
    m.prompt = undefined;
  } else if (m.busySince !== undefined && u.status === 'idle') {
    // Sent before the awaited prompt reached the agent (a restart, a start): the member is not free,
    // and the monitor keeps watching it.
    m.status = 'running';
  }
  if (u.worktree) m.worktree = u.worktree;
  if (u.event === 'cleaned_up') return onCleanedUp(t, m, u);
  if (closing(s)) return;
  switch (u.event) {
    case 'started':
      // A member started with a prompt (the coordinator) is at work from now on.
      if (m.busySince !== undefined) m.busySince = t.now;
      if (m.role === 'coordinator') {
        startPool(t, s.settings.concurrency);
        maybePlan(t);
      }
      break;
    case 'turn_completed':
      if (m.role === 'coordinator') await onPlan(t, u.text ?? '');
      else if (m.role === 'reviewer') await onReview(t, m, u.text ?? '');
      else onWorkerDone(t, m);
      break;
    case 'restarted':
      onRestarted(t, m, u);
      break;
    case 'failed':
    case 'stopped':
      await onMemberLost(t, m, u.reason ?? u.status);
      break;
  }
}

/**
 * The team's decisions: `(state, message, now) → (state, effects)`. It reads git, the agents'
 * activity and usage through `io` and changes nothing outside `state`: events, prompts, git work,
 * merge jobs and reminders come back as effects, which the actor commits with the state (outbox)
 * and runs after commit.
 */
export async function reduceTeam(state: TeamState, msg: TeamMessage, now: number, io: TeamReads, self: string): Promise<{ state: TeamState; effects: TeamEffect[] }> {
  const t = new TeamTurn(state, now, io, self);
  const ended = closing(state);
  switch (msg.type) {
    case 'team.start':
      await start(t, msg.payload);
      break;
    case 'team.agent_update':
      await onAgentUpdate(t, msg.payload);
      break;
    case 'team.baseline_result':
      if (!ended) onBaseline(t, msg.payload);
      break;
    case 'team.merge_result':
      // While the team is finishing only a merge that landed is taken (the end records the rest).
      if (!ended || (state.finishing && msg.payload.kind === 'merged')) await onMergeResult(t, msg.payload);
      else if (!state.finishing) lateMerge(t, msg.payload);
      break;
    case 'team.work_committed':
      await onWorkCommitted(t, msg.payload);
      break;
    case 'team.cancel':
      await finish(t, msg.payload.fail === true ? 'failed' : 'cancelled', msg.payload.reason ?? 'cancelled by request');
      break;
    case 'reminder':
      await monitorTick(t);
      break;
    case 'get':
      break;
  }
  await schedule(t);
  return { state, effects: t.effects };
}
