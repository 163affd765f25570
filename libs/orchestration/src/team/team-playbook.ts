import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { messageText, type Step, type StepFunction, type StepRequest } from '@godel/scripted-model';
import { parseHeader } from './prompts';

/** What a worker does for one prompt: run these commands, write these files (one tool call each), then say `text`. */
export interface WorkerMove {
  /** Shell commands run first, one `bash` tool call each (e.g. reading the repository, a slow step). */
  run?: string[];
  files?: Record<string, string>;
  /** Shell commands run with pi's `bash` tool (e.g. an attack in the security tests). */
  bash?: string[];
  text?: string;
}

/**
 * A team's part for the scripted model: the coordinator's plan, each worker's moves per prompt
 * kind (task, changes, conflict, red; `changes` and later kinds may be lists by round), and the
 * reviewer's verdicts per task by review round (default: approve). Godel's role prompts carry a
 * `[godel role=… kind=… task=… round=…]` header; the playbook answers from it.
 */
export interface TeamPlaybook {
  /** The intent this playbook was written for, and the repository's verification (for demos). */
  intent?: string;
  verify?: string;
  /** The coordinator's answer: a plan object (sent as JSON), or raw text (e.g. to test bad plans), per attempt. */
  plan?: unknown;
  plans?: Array<string | Record<string, unknown>>;
  /**
   * Per task and prompt kind: `nochange` answers "no change was found in your worktree"; `resume`
   * answers the resume prompt after the worker's process was restarted (default: the kind's move).
   */
  workers?: Record<string, Partial<Record<'task' | 'changes' | 'conflict' | 'red' | 'nochange' | 'resume', WorkerMove | WorkerMove[]>>>;
  /**
   * Play a model that follows prompts literally: a worker told to run the verification command
   * runs it (a `bash` tool call) after writing its files, before it answers.
   */
  literal?: boolean;
  /** Per task: verdicts in review order, e.g. ["request_changes: add a test", "approve"]. */
  reviews?: Record<string, string[]>;
  /** Model latency per answer (ms), to make timings realistic. */
  delayMs?: number;
  /** Tokens reported per answer. */
  usage?: { promptTokens: number; completionTokens: number };
}

/** The last user message that carries a Godel header (a resume prompt after a crash has none). */
function lastPromptIndex(r: StepRequest): number {
  const ms = r.body.messages;
  for (let i = ms.length - 1; i >= 0; i--) if (ms[i].role === 'user' && parseHeader(messageText(ms[i]))) return i;
  return -1;
}

/** The last user message without a header after the prompt at `from` (pi's resume prompt), or -1. */
function lastResumeIndex(r: StepRequest, from: number): number {
  const ms = r.body.messages;
  for (let i = ms.length - 1; i > from; i--) if (ms[i].role === 'user' && !parseHeader(messageText(ms[i]))) return i;
  return -1;
}

function pick<T>(v: T | T[] | undefined, round: number): T | undefined {
  if (Array.isArray(v)) return v[Math.min(round, v.length) - 1] ?? v[v.length - 1];
  return v;
}

/** The step function playing `book`; requests without a Godel header get `fallback` (or an error). */
export function teamPlaybook(book: TeamPlaybook, fallback?: StepFunction): StepFunction {
  return (r) => {
    const i = lastPromptIndex(r);
    const prompt = messageText(r.body.messages[i]);
    const h = parseHeader(prompt);
    if (!h) return fallback ? fallback(r) : { error: { status: 400, message: 'team playbook: no [godel …] header in the last user message' } };
    // Steps answered since this prompt: 0 → act, 1+ → wrap up.
    const answered = r.body.messages.slice(i + 1).filter((m) => m.role === 'assistant').length;
    const timing = { ...(book.delayMs ? { delayMs: book.delayMs } : {}), ...(book.usage ? { usage: book.usage } : {}) };
    const text = (t: string): Step => ({ text: t, ...timing });
    if (h.role === 'coordinator') {
      const attempt = r.body.messages.filter((m) => m.role === 'user' && parseHeader(messageText(m))).length;
      const plan = book.plans ? book.plans[Math.min(attempt, book.plans.length) - 1] : book.plan;
      return text(typeof plan === 'string' ? plan : JSON.stringify(plan ?? { tasks: [] }));
    }
    if (h.role === 'reviewer') {
      const v = book.reviews?.[h.task ?? '']?.[(h.round ?? 1) - 1] ?? 'approve';
      const [verdict, ...rest] = v.split(':');
      return text(JSON.stringify(verdict.trim() === 'approve' ? { verdict: 'approve' } : { verdict: 'request_changes', comments: rest.join(':').trim() || 'please improve' }));
    }
    const moves = book.workers?.[h.task ?? ''] ?? {};
    const kind = h.kind === 'changes' || h.kind === 'conflict' || h.kind === 'red' || h.kind === 'nochange' ? h.kind : 'task';
    // A resume prompt (no header) after the task's prompt: the worker's process was restarted.
    const resumeAt = moves.resume ? lastResumeIndex(r, i) : -1;
    if (resumeAt >= 0) {
      const after = r.body.messages.slice(resumeAt + 1).filter((m) => m.role === 'assistant').length;
      return act(pick(moves.resume, 1), after, `Continuing ${h.task}.`);
    }
    const move = pick(moves[kind], kind === 'task' ? 1 : Math.max(1, (h.round ?? 2) - 1)) ?? (kind === 'task' || kind === 'nochange' ? undefined : pick(moves.task, 1));
    return act(move, answered, `Done with ${h.task} (${kind}).`);

    /** Step `n` of a move: write its files, run the verification when told to (literal), then answer. */
    function act(m: WorkerMove | undefined, n: number, done: string): Step {
      const files = Object.entries(m?.files ?? {});
      const steps: Step[] = (m?.run ?? []).map((command) => ({ toolCalls: [{ name: 'bash', arguments: { command } }], text: `Looking around for ${h!.task}.`, ...timing }));
      if (files.length > 0) steps.push({ toolCalls: files.map(([path, content]) => ({ name: 'write', arguments: { path, content } })), text: `Working on ${h!.task}.`, ...timing });
      if (m?.bash?.length) steps.push({ toolCalls: m.bash.map((command) => ({ name: 'bash', arguments: { command } })), text: `Working on ${h!.task}.`, ...timing });
      const verify = book.literal ? /run the verification command `([^`]+)`|Run `([^`]+)` before you finish/.exec(prompt) : null;
      if (verify) steps.push({ toolCalls: [{ name: 'bash', arguments: { command: verify[1] ?? verify[2] } }], text: 'Running the verification as asked.', ...timing });
      return steps[n] ?? text(m?.text ?? done);
    }
  };
}

/** Reads a playbook from YAML or JSON. */
export async function loadPlaybook(path: string): Promise<TeamPlaybook> {
  const raw = await readFile(path, 'utf8');
  const v = (path.endsWith('.json') ? JSON.parse(raw) : parseYaml(raw)) as TeamPlaybook;
  if (typeof v !== 'object' || v === null) throw new Error(`${path}: a playbook is a mapping with plan, workers, reviews`);
  return v;
}
