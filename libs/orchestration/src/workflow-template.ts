import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';

/** A workflow template: the task DAG a team runs for an intent ({{intent}} is replaced in prompts). */
export interface WorkflowTemplate {
  name: string;
  description: string;
  tasks: WorkflowTask[];
  /** The repository's verification command the refinery runs (optional; the repo config wins). */
  verify?: string;
}

export interface WorkflowTask {
  id: string;
  title: string;
  role: 'worker' | 'reviewer';
  prompt: string;
  dependsOn: string[];
}

export interface WorkflowIssue {
  file: string;
  line: number;
  field: string;
  message: string;
}

export class WorkflowValidationError extends Error {
  readonly code = 'workflow.invalid';
  readonly retryable = false;
  constructor(readonly issues: WorkflowIssue[]) {
    super(issues.map((i) => `${i.file}:${i.line}: ${i.field}: ${i.message}`).join('\n'));
  }
  toJSON(): { code: string; message: string; retryable: boolean; details: { issues: WorkflowIssue[] } } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: { issues: this.issues } };
  }
}

const NAME = /^[a-z][a-z0-9-]{0,63}$/;

/** The part of a yaml mapping node this validator uses. */
interface YMap {
  get(key: string, keepScalar?: boolean): unknown;
}
const TOP_KEYS = ['name', 'description', 'tasks', 'verify'];
const TASK_KEYS = ['id', 'title', 'role', 'prompt', 'dependsOn'];

/** Parses and validates a workflow YAML text; every problem is reported with its line and field. */
export function parseWorkflow(text: string, file = '<workflow>'): WorkflowTemplate {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const issues: WorkflowIssue[] = [];
  const at = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const add = (node: Node | null | undefined, field: string, message: string) => issues.push({ file, line: at(node), field, message });
  for (const e of doc.errors) issues.push({ file, line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line, field: '(yaml)', message: e.message.split('\n')[0] });
  if (issues.length > 0) throw new WorkflowValidationError(issues);
  const root = doc.contents;
  if (!isMap(root)) throw new WorkflowValidationError([{ file, line: at(root as Node), field: '(root)', message: 'expected a mapping with name, description, tasks' }]);

  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (!TOP_KEYS.includes(key)) add(pair.key as Node, key, `unknown field (allowed: ${TOP_KEYS.join(', ')})`);
  }
  const str = (map: YMap, key: string, field: string, required: boolean): string | undefined => {
    const node = map.get(key, true) as Node | undefined;
    const v: unknown = map.get(key);
    if (v === undefined || v === null) {
      if (required) add(map as Node, field, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v.trim().length === 0) {
      add(node, field, 'must be a non-empty string');
      return undefined;
    }
    return v;
  };
  const name = str(root as YMap, 'name', 'name', true);
  if (name !== undefined && !NAME.test(name)) add(root.get('name', true) as Node, 'name', 'must match [a-z][a-z0-9-]{0,63}');
  const description = str(root as YMap, 'description', 'description', true);
  const verify = str(root as YMap, 'verify', 'verify', false);

  const tasksNode = root.get('tasks', true) as Node | undefined;
  const tasks: WorkflowTask[] = [];
  if (!isSeq(tasksNode) || tasksNode.items.length === 0) {
    add(tasksNode ?? (root as Node), 'tasks', 'must be a non-empty list');
  } else {
    const lineOf = new Map<string, number>();
    tasksNode.items.forEach((item, i) => {
      const f = `tasks[${i}]`;
      if (!isMap(item)) return add(item as Node, f, 'must be a mapping');
      for (const pair of item.items) {
        const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
        if (!TASK_KEYS.includes(key)) add(pair.key as Node, `${f}.${key}`, `unknown field (allowed: ${TASK_KEYS.join(', ')})`);
      }
      const id = str(item as YMap, 'id', `${f}.id`, true);
      if (id !== undefined && !NAME.test(id)) add(item.get('id', true) as Node, `${f}.id`, 'must match [a-z][a-z0-9-]{0,63}');
      if (id !== undefined && lineOf.has(id)) add(item.get('id', true) as Node, `${f}.id`, `duplicate id (first at line ${lineOf.get(id)})`);
      if (id !== undefined) lineOf.set(id, at(item.get('id', true) as Node));
      const title = str(item as YMap, 'title', `${f}.title`, true);
      const role = item.get('role') ?? 'worker';
      if (role !== 'worker' && role !== 'reviewer') add(item.get('role', true) as Node, `${f}.role`, 'must be worker or reviewer');
      const prompt = str(item as YMap, 'prompt', `${f}.prompt`, true);
      const depsNode = item.get('dependsOn', true) as Node | undefined;
      const deps: string[] = [];
      if (depsNode !== undefined) {
        if (!isSeq(depsNode)) add(depsNode, `${f}.dependsOn`, 'must be a list of task ids');
        else {
          for (const d of depsNode.items) {
            const value = (d as { value?: unknown }).value;
            if (typeof value === 'string') deps.push(value);
            else add(d as Node, `${f}.dependsOn`, 'must be a list of task ids');
          }
        }
      }
      tasks.push({ id: id ?? `#${i}`, title: title ?? '', role: role as WorkflowTask['role'], prompt: prompt ?? '', dependsOn: deps });
    });
    tasks.forEach((t, i) => {
      for (const d of t.dependsOn) if (!lineOf.has(d)) add((tasksNode.items[i] as { get(k: string, keep: true): Node }).get('dependsOn', true), `tasks[${i}].dependsOn`, `unknown task "${d}"`);
    });
    const cycle = findCycle(tasks);
    if (cycle) add(tasksNode, 'tasks', `dependency cycle: ${cycle.join(' → ')}`);
  }
  if (issues.length > 0) throw new WorkflowValidationError(issues);
  return { name: name!, description: description!, tasks, ...(verify ? { verify } : {}) };
}

/** A cycle in the dependsOn graph (as a closed path of ids), or undefined. */
export function findCycle(tasks: readonly WorkflowTask[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done' || !deps.has(id)) return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const d of deps.get(id)!) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const t of tasks) {
    const c = visit(t.id);
    if (c) return c;
  }
  return undefined;
}
