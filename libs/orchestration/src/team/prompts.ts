import { PLAN_SCHEMA_TEXT } from './plan';

/**
 * The prompts of each role. Every prompt starts with a one-line header in brackets
 * (`[godel role=worker team=T task=ID kind=task round=1]`) that states the role and task in a form
 * tools can read: the scripted model's team playbook plays from it, and logs stay greppable.
 */
export type PromptKind = 'plan' | 'replan' | 'task' | 'changes' | 'conflict' | 'red' | 'nochange' | 'review' | 're-review';

/** What the roles are told about the target's verification (the command, and a red baseline). */
export interface VerifyContext {
  command?: string;
  /** The target was red before the team started, with these failures (not yet fixed). */
  redBaseline?: { failures: string[]; output: string };
  /** Red baseline tolerated by the user (`--allow-red-base`): no fix task is required. */
  allowRedBase?: boolean;
}

function verifyLine(v: VerifyContext): string {
  return v.command
    ? `Before you finish, run the verification command \`${v.command}\` in your worktree and make sure your change does not break it.`
    : 'No verification command is configured for this repository: check your change yourself before you finish.';
}

export function header(role: string, team: string, kind: PromptKind, task?: string, round?: number): string {
  return `[godel role=${role} team=${team} kind=${kind}${task ? ` task=${task}` : ''}${round !== undefined ? ` round=${round}` : ''}]`;
}

/** Parses a prompt header; undefined when the text has none. */
export function parseHeader(text: string): { role: string; team: string; kind: PromptKind; task?: string; round?: number } | undefined {
  const m = /\[godel ([^\]]+)\]/.exec(text);
  if (!m) return undefined;
  const fields = Object.fromEntries(m[1].split(' ').map((kv) => kv.split('=', 2) as [string, string]));
  if (!fields.role || !fields.kind) return undefined;
  return { role: fields.role, team: fields.team ?? '', kind: fields.kind as PromptKind, task: fields.task, round: fields.round !== undefined ? Number(fields.round) : undefined };
}

export function coordinatorPrompt(team: string, intent: string, maxTasks: number, v: VerifyContext = {}): string {
  const red = v.redBaseline
    ? [
        `The verification command \`${v.command}\` already FAILS on the target branch, before any change. Failing part:`,
        '```',
        v.redBaseline.failures.join('\n') || v.redBaseline.output.slice(-1500),
        '```',
        v.allowRedBase
          ? 'The user accepts this (--allow-red-base): plan the intent; failures that were already there are not charged to any task.'
          : 'Your plan MUST include a task that makes the verification pass again, marked "fixesBaseline": true. Other tasks must not be asked to fix these failures.',
      ]
    : [];
  return [
    header('coordinator', team, 'plan'),
    'You coordinate a team of coding agents working in this git repository. Turn the intent below into a small plan of tasks.',
    'Tasks run in parallel unless one depends on another; each task is done by one worker in its own worktree and merged after review.',
    `Keep it to at most ${maxTasks} tasks. Read the repository if you need to. Do not change any file yourself: workers do the tasks.`,
    v.command ? `Every merge is verified with \`${v.command}\`.` : 'The repository has no verification command.',
    ...red,
    `Answer with ONLY a JSON object of this shape: ${PLAN_SCHEMA_TEXT}`,
    '',
    `Intent: ${intent}`,
  ].join('\n');
}

export function replanPrompt(team: string, problems: string[]): string {
  return [header('coordinator', team, 'replan'), 'Your plan could not be used:', ...problems.map((p) => `- ${p}`), `Answer again with ONLY the JSON object: ${PLAN_SCHEMA_TEXT}`].join('\n');
}

export function workerTaskPrompt(team: string, task: { id: string; title: string; prompt: string; fixesBaseline?: boolean }, intent: string, v: VerifyContext = {}): string {
  const red = v.redBaseline
    ? task.fixesBaseline
      ? [`\`${v.command}\` fails on the target before any change; this task is to make it pass. Failing part:`, ...v.redBaseline.failures.slice(0, 20).map((f) => `  ${f}`)]
      : [`Note: \`${v.command}\` already fails on the target before your change (${v.redBaseline.failures.slice(0, 5).join(' | ')}). Those failures belong to another task: do not fix them here, and do not change code outside this task.`]
    : [];
  return [
    header('worker', team, 'task', task.id, 1),
    `New task "${task.title}" (part of: ${intent}).`,
    'Your worktree has been reset to the current target branch. Work only inside it: change the files the task needs (a task is only done when its change is merged); when you are done, reply with a one-paragraph summary.',
    'You may commit; whatever you leave uncommitted is committed for you.',
    verifyLine(v),
    ...red,
    '',
    task.prompt,
  ].join('\n');
}

export function noChangesPrompt(team: string, taskId: string, round: number, command?: string): string {
  return [
    header('worker', team, 'nochange', taskId, round),
    'No change was found in your worktree: your last turn did not modify any file, so there is nothing to review or merge.',
    'Make the change the task asks for in your worktree now (edit or write the files; do not only describe them), then reply with a short summary.',
    command ? `Run \`${command}\` before you finish.` : '',
    'If you answer again without changing any file, the task fails.',
  ]
    .filter(Boolean)
    .join('\n');
}

export function changesRequestedPrompt(team: string, taskId: string, round: number, comments: string): string {
  return [header('worker', team, 'changes', taskId, round), 'The reviewer requested changes to your work on this task:', '', comments, '', 'Make the changes in your worktree, then reply with a short summary.'].join('\n');
}

export function conflictPrompt(team: string, taskId: string, round: number, files: string[], previousCommit: string): string {
  return [
    header('worker', team, 'conflict', taskId, round),
    `Your change (commit ${previousCommit.slice(0, 12)}) conflicts with what was merged meanwhile, in: ${files.join(', ') || 'unknown files'}.`,
    'Your worktree has been reset to the current target branch. Redo the task on top of it (your previous commit is still in git under refs/godel/attempts), then reply with a short summary.',
  ].join('\n');
}

export function verificationFailedPrompt(team: string, taskId: string, round: number, command: string, output: string): string {
  return [
    header('worker', team, 'red', taskId, round),
    `The verification command \`${command}\` failed on your change rebased onto the target branch. Output (last part):`,
    '```',
    output,
    '```',
    'Fix it in your worktree, then reply with a short summary.',
  ].join('\n');
}

export function reviewPrompt(team: string, task: { id: string; title: string; prompt: string }, round: number, diff: string, truncated: boolean): string {
  return [
    header('reviewer', team, round > 1 ? 're-review' : 'review', task.id, round),
    `Review this change for the task "${task.title}". Your worktree is checked out at the change, so you can read the files.`,
    `The task was: ${task.prompt}`,
    '',
    '```diff',
    diff + (truncated ? '\n… (diff cut; read the files in your worktree)' : ''),
    '```',
    'Answer with ONLY a JSON object: {"verdict": "approve"} or {"verdict": "request_changes", "comments": "what to change"}.',
  ].join('\n');
}

export function reviewReaskPrompt(team: string, taskId: string, round: number): string {
  return [header('reviewer', team, 're-review', taskId, round), 'Your answer could not be read. Answer with ONLY {"verdict": "approve"} or {"verdict": "request_changes", "comments": "..."}.'].join('\n');
}
