import { DEFAULT_ARGS, buildCommandArgs, templateUses } from './command-args';

describe('buildCommandArgs', () => {
  it('builds the default Claude Code argv, adding --resume and --model only when known', () => {
    const claude = DEFAULT_ARGS['claude-stream-json'];
    expect(buildCommandArgs(claude, { prompt: 'fix it' })).toEqual(['-p', 'fix it', '--output-format', 'stream-json', '--verbose']);
    expect(buildCommandArgs(claude, { prompt: 'again', sessionId: 'S1', model: 'opus' }, ['--permission-mode', 'acceptEdits'])).toEqual([
      '-p',
      'again',
      '--output-format',
      'stream-json',
      '--verbose',
      '--model',
      'opus',
      '--resume',
      'S1',
      '--permission-mode',
      'acceptEdits',
    ]);
  });

  it('builds the default Codex argv: exec flags before the resume subcommand, prompt last', () => {
    const codex = DEFAULT_ARGS['codex-exec-json'];
    expect(buildCommandArgs(codex, { prompt: 'fix it' }, ['--skip-git-repo-check'])).toEqual(['exec', '--json', '--skip-git-repo-check', 'fix it']);
    expect(buildCommandArgs(codex, { prompt: 'again', sessionId: 'T1', model: 'gpt-5' }, ['--skip-git-repo-check'])).toEqual([
      'exec',
      '--json',
      '--model',
      'gpt-5',
      '--skip-git-repo-check',
      'resume',
      'T1',
      'again',
    ]);
  });

  it('substitutes inside elements in one pass, so a prompt containing a placeholder stays verbatim', () => {
    expect(buildCommandArgs(['--prompt={prompt}', ['--session={sessionId}'], '{provider}/{model}'], { prompt: 'say {sessionId}', sessionId: 'S', provider: 'p', model: 'm' })).toEqual([
      '--prompt=say {sessionId}',
      '--session=S',
      'p/m',
    ]);
    // An element with a missing value is dropped whole, a group too.
    expect(buildCommandArgs(['{provider}/{model}', ['--x', '{sessionId}'], 'keep'], { model: 'm' })).toEqual(['keep']);
  });

  it('templateUses tells whether the prompt goes to argv or stdin, and whether models and resume can be set', () => {
    expect(templateUses(DEFAULT_ARGS['claude-stream-json'], 'prompt')).toBe(true);
    expect(templateUses(['-p', '--output-format', 'stream-json'], 'prompt')).toBe(false);
    expect(templateUses(DEFAULT_ARGS['codex-exec-json'], 'model')).toBe(true);
    expect(templateUses(['exec', '--json', '{prompt}'], 'sessionId')).toBe(false);
  });
});
