import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScript, parseScriptText } from './load-script';
import { ScriptValidationError } from './script-validation';

describe('loadScript', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'godel-script-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a keyed YAML file', async () => {
    const path = join(dir, 'demo.yaml');
    await writeFile(
      path,
      [
        'default: writer',
        'scripts:',
        '  writer:',
        '    - toolCalls: [{ name: write, arguments: { path: hello.txt, content: "hi\\n" } }]',
        '    - text: Done.',
        '  flaky:',
        '    - error: { status: 500, message: upstream down }',
        '      delayMs: 10',
      ].join('\n'),
    );
    await expect(loadScript(path)).resolves.toEqual({
      default: 'writer',
      scripts: {
        writer: [{ toolCalls: [{ name: 'write', arguments: { path: 'hello.txt', content: 'hi\n' } }] }, { text: 'Done.' }],
        flaky: [{ error: { status: 500, message: 'upstream down' }, delayMs: 10 }],
      },
    });
  });

  it('loads a JSON list', async () => {
    const path = join(dir, 'one.json');
    await writeFile(path, JSON.stringify([{ text: 'hello' }]));
    await expect(loadScript(path)).resolves.toEqual({ scripts: { default: [{ text: 'hello' }] }, default: 'default' });
  });

  it('names the file, script, step and field of a bad step', async () => {
    const path = join(dir, 'bad.yml');
    await writeFile(path, 'scripts:\n  w:\n    - text: ok\n    - toolCalls: [{ name: write, arguments: 7 }]\n');
    await expect(loadScript(path)).rejects.toThrow(`${path}: script "w", step 1: toolCalls[0].arguments must be an object`);
  });

  it('reports syntax errors with their line, and unreadable files', async () => {
    expect(() => parseScriptText('- text: ok\n- text: [unclosed\n', 'x.yaml')).toThrow(/x\.yaml: invalid YAML at line \d/);
    expect(() => parseScriptText('[{"text": }]', 'x.json')).toThrow(/x\.json: invalid JSON/);
    const missing = join(dir, 'missing.yaml');
    await expect(loadScript(missing)).rejects.toBeInstanceOf(ScriptValidationError);
    await expect(loadScript(missing)).rejects.toThrow(`${missing}: cannot read script file`);
  });
});
