import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWorkflow, type WorkflowTemplate } from './workflow-template';

/** Where the built-in templates live (next to the sources, and copied next to the compiled output). */
export function builtinWorkflowDir(): string {
  const candidates = [join(__dirname, '..', 'workflows'), join(__dirname, '..', '..', '..', '..', 'libs', 'orchestration', 'workflows')];
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new Error(`built-in workflows not found (looked in ${candidates.join(', ')})`);
  return found;
}

/** The built-in templates (feature, bugfix, refactor, review-only), validated. */
export function builtinWorkflows(): WorkflowTemplate[] {
  const dir = builtinWorkflowDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseWorkflow(readFileSync(join(dir, f), 'utf8'), join(dir, f)));
}
