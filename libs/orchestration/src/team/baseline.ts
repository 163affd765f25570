import type { BaselineResult } from '../refinery/refinery';
import type { VerifyContext } from './prompts';
import type { CleanupState, TaskState, TeamState } from './team-state';

/** What the roles are told about verification: the command and, while it is not fixed, a red baseline. */
export function verifyContext(s: TeamState): VerifyContext {
  const b = s.baseline;
  return {
    command: s.verify,
    allowRedBase: s.settings.allowRedBase,
    redBaseline: b?.status === 'red' && !b.fixed ? { failures: b.failures ?? [], output: b.output ?? '' } : undefined,
  };
}

/** A workflow's team with a red baseline (no coordinator to plan it): the task that makes it green first. */
export function baselineFixTask(verify: string, r: BaselineResult): TaskState {
  return {
    id: 'fix-baseline',
    title: 'Make the verification pass on the target',
    prompt: `\`${verify}\` fails on the target before any change. Make it pass. Failing part:\n${r.failures.join('\n') || r.output.slice(-1500)}`,
    dependsOn: [],
    role: 'worker',
    fixesBaseline: true,
    status: 'pending',
    assignments: 0,
    round: 0,
    reviews: 0,
    reviewReasks: 0,
    mergeAttempt: 0,
    conflicts: 0,
    verifyFailures: 0,
  };
}

export function emptyCleanup(): CleanupState {
  return { pending: [], removed: [], kept: [], attemptRefsPruned: 0, done: false };
}
