import { readFileSync } from 'node:fs';
import { WorkflowValidationError, builtinWorkflows, parseWorkflow, resolveWorkflow } from '@godel/orchestration';
import { CliError, EXIT } from '../cli-error';
import { table, type Output } from '../output';

export function workflowList(out: Output): number {
  const items = builtinWorkflows();
  out.print(table(['name', 'tasks', 'description'], items.map((w) => [w.name, w.tasks.length, w.description])));
  out.emit({ ok: true, items: items.map((w) => ({ name: w.name, description: w.description, tasks: w.tasks.length })) });
  return EXIT.ok;
}

export function workflowShow(ref: string, out: Output): number {
  const w = asCli(() => resolveWorkflow({ workflow: ref }))!;
  out.print(`${w.name}: ${w.description}${w.verify ? `\nverify: ${w.verify}` : ''}`);
  out.print(table(['task', 'role', 'depends on', 'title'], w.tasks.map((t) => [t.id, t.role, t.dependsOn.join(', ') || '-', t.title])));
  out.emit({ ok: true, workflow: w });
  return EXIT.ok;
}

export function workflowValidate(file: string, out: Output): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('workflow.unreadable', `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the path`, EXIT.usage);
  }
  try {
    const w = parseWorkflow(text, file);
    out.print(`✓ ${file}: workflow "${w.name}" is valid (${w.tasks.length} tasks)`);
    out.emit({ ok: true, workflow: w });
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof WorkflowValidationError)) throw err;
    for (const i of err.issues) out.print(`✗ ${i.file}:${i.line}: ${i.field}: ${i.message}`);
    out.emit({ ok: false, error: err.toJSON() });
    return EXIT.checkFailed;
  }
}

function asCli<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WorkflowValidationError) throw new CliError('workflow.invalid', `${err.message}\nfix the file and run \`godel workflow validate\` again`, EXIT.usage, { issues: err.issues });
    throw new CliError((err as { code?: string }).code ?? 'workflow.unknown', (err as Error).message, EXIT.usage);
  }
}
