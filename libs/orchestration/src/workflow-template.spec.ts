import { builtinWorkflows } from './builtin-workflows';
import { parseWorkflow, WorkflowValidationError } from './workflow-template';

function issues(text: string): Array<{ line: number; field: string; message: string }> {
  try {
    parseWorkflow(text, 'w.yaml');
  } catch (err) {
    if (err instanceof WorkflowValidationError) return err.issues.map(({ line, field, message }) => ({ line, field, message }));
    throw err;
  }
  return [];
}

describe('workflow templates', () => {
  it('ships valid built-ins: feature, bugfix, refactor, review-only', () => {
    const names = builtinWorkflows().map((w) => w.name);
    expect(names).toEqual(['bugfix', 'feature', 'refactor', 'review-only']);
    const feature = builtinWorkflows().find((w) => w.name === 'feature')!;
    expect(feature.tasks.find((t) => t.id === 'integrate')!.dependsOn).toEqual(['core', 'interface']);
  });

  it('reports each problem with its line and field', () => {
    const text = ['name: Bad Name', 'description: x', 'colour: red', 'tasks:', '  - id: a', '    title: A', '    prompt: do a', '    dependsOn: [nope]', '  - id: a', '    title: again', '    role: boss', '    prompt: ""'].join('\n');
    expect(issues(text)).toEqual(
      expect.arrayContaining([
        { line: 1, field: 'name', message: 'must match [a-z][a-z0-9-]{0,63}' },
        { line: 3, field: 'colour', message: expect.stringContaining('unknown field') },
        { line: 9, field: 'tasks[1].id', message: 'duplicate id (first at line 5)' },
        { line: 11, field: 'tasks[1].role', message: 'must be worker or reviewer' },
        { line: 12, field: 'tasks[1].prompt', message: 'must be a non-empty string' },
        { line: 8, field: 'tasks[0].dependsOn', message: 'unknown task "nope"' },
      ]),
    );
  });

  it('finds dependency cycles and broken YAML', () => {
    const cyc = ['name: c', 'description: d', 'tasks:', '  - {id: a, title: A, prompt: p, dependsOn: [b]}', '  - {id: b, title: B, prompt: p, dependsOn: [a]}'].join('\n');
    expect(issues(cyc)).toEqual([{ line: 4, field: 'tasks', message: 'dependency cycle: a → b → a' }]);
    expect(issues('name: x\ntasks: [\n')[0]).toMatchObject({ field: '(yaml)' });
    // A YAML syntax error names its own line, not line 1.
    expect(issues('name: x\ndescription: d\ntasks:\n  - id: a\n    title: A, prompt: p }\n  - x: ]\n')[0]).toMatchObject({ field: '(yaml)', line: 5 });
    expect(issues('- just a list')[0]).toMatchObject({ field: '(root)' });
    expect(issues('name: x\ndescription: y\ntasks: []')).toEqual([{ line: 3, field: 'tasks', message: 'must be a non-empty list' }]);
  });
});
