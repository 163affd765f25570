import { GodelError } from '@godel/actors';
import { findCycle, type WorkflowTask } from '../workflow-template';

/**
 * One task of a plan: what the coordinator (or a workflow template) hands to the workers.
 * `fixesBaseline`: the task makes the target's verification green again (required when it was red
 * before the team started).
 */
export type PlannedTask = WorkflowTask & { fixesBaseline?: boolean };

/** The coordinator's answer did not fit the plan schema; `problems` say where. */
export class PlanInvalidError extends GodelError {
  readonly code = 'plan.invalid';
  readonly retryable = false;
  constructor(readonly problems: string[]) {
    super(`the plan is invalid: ${problems.join('; ')}`, { problems });
  }
}

export const MAX_TASKS = 50;
const TASK_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const TASK_KEYS = new Set(['id', 'title', 'prompt', 'dependsOn', 'role', 'fixesBaseline']);

/** The plan schema the coordinator is asked to answer with (also shown to it verbatim). */
export const PLAN_SCHEMA_TEXT = `{"tasks": [{"id": "kebab-case id", "title": "short title", "prompt": "what the worker must do", "dependsOn": ["ids of tasks that must be merged first"], "fixesBaseline": false}]}`;

/** The first JSON object in a model's answer: a ```json fence, or the outermost braces. */
export function extractJson(text: string): unknown {
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const candidates = fence ? [fence[1], text] : [text];
  for (const c of candidates) {
    const start = c.indexOf('{');
    const end = c.lastIndexOf('}');
    if (start < 0 || end <= start) continue;
    try {
      return JSON.parse(c.slice(start, end + 1));
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/** Validates a plan (from the coordinator's text or a template): ids, fields, known dependencies, no cycles. */
export function validatePlan(value: unknown): PlannedTask[] {
  const problems: string[] = [];
  const root = value as { tasks?: unknown } | undefined;
  if (typeof root !== 'object' || root === null || !Array.isArray(root.tasks)) throw new PlanInvalidError(['expected a JSON object {"tasks": [...]}']);
  const tasks = root.tasks as unknown[];
  if (tasks.length === 0) problems.push('tasks: at least one task is needed');
  if (tasks.length > MAX_TASKS) problems.push(`tasks: at most ${MAX_TASKS} tasks`);
  const out: PlannedTask[] = [];
  tasks.slice(0, MAX_TASKS).forEach((raw, i) => {
    const at = `tasks[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return problems.push(`${at}: expected an object`);
    const t = raw as Record<string, unknown>;
    for (const k of Object.keys(t)) if (!TASK_KEYS.has(k)) problems.push(`${at}.${k}: unknown field`);
    if (typeof t.id !== 'string' || !TASK_ID.test(t.id)) problems.push(`${at}.id: must match ${TASK_ID}`);
    if (typeof t.title !== 'string' || t.title.trim() === '' || t.title.length > 200) problems.push(`${at}.title: a string of 1-200 chars`);
    if (typeof t.prompt !== 'string' || t.prompt.trim() === '' || t.prompt.length > 20_000) problems.push(`${at}.prompt: a string of 1-20000 chars`);
    const deps = t.dependsOn ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string')) problems.push(`${at}.dependsOn: a list of task ids`);
    if (t.role !== undefined && t.role !== 'worker' && t.role !== 'reviewer') problems.push(`${at}.role: worker or reviewer`);
    if (t.fixesBaseline !== undefined && typeof t.fixesBaseline !== 'boolean') problems.push(`${at}.fixesBaseline: true or false`);
    out.push({ id: String(t.id), title: String(t.title ?? ''), prompt: String(t.prompt ?? ''), dependsOn: Array.isArray(deps) ? deps.map(String) : [], role: (t.role as PlannedTask['role']) ?? 'worker', ...(t.fixesBaseline === true ? { fixesBaseline: true } : {}) });
  });
  const ids = new Set<string>();
  for (const t of out) {
    if (ids.has(t.id)) problems.push(`task "${t.id}": duplicate id`);
    ids.add(t.id);
  }
  for (const t of out) for (const d of t.dependsOn) if (!ids.has(d)) problems.push(`task "${t.id}": depends on unknown task "${d}"`);
  const cycle = findCycle(out);
  if (cycle) problems.push(`dependency cycle: ${cycle.join(' → ')}`);
  if (problems.length > 0) throw new PlanInvalidError(problems);
  return out;
}

/** A reviewer's verdict on one task's diff. */
export interface ReviewVerdict {
  verdict: 'approve' | 'request_changes';
  comments: string;
}

/** Reads a reviewer's answer: a JSON object {verdict, comments}; undefined when it does not fit. */
export function parseReview(text: string): ReviewVerdict | undefined {
  const v = extractJson(text) as { verdict?: unknown; comments?: unknown } | undefined;
  if (!v || (v.verdict !== 'approve' && v.verdict !== 'request_changes')) return undefined;
  const comments = typeof v.comments === 'string' ? v.comments : Array.isArray(v.comments) ? v.comments.map(String).join('\n') : '';
  if (v.verdict === 'request_changes' && comments.trim() === '') return undefined;
  return { verdict: v.verdict, comments };
}
