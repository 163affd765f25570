/** The JSON-lines dialects `CommandRuntime` understands. */
export type CommandDialect = 'claude-stream-json' | 'codex-exec-json';

export const COMMAND_DIALECTS: readonly CommandDialect[] = ['claude-stream-json', 'codex-exec-json'];

/**
 * The arguments of one run, as data (so any CLI speaking a dialect can be configured without code).
 * Each element is a string or a group (an array of strings). Placeholders `{prompt}`,
 * `{sessionId}`, `{model}`, `{provider}` are replaced inside elements; an element or group with a
 * placeholder that has no value is left out whole (so `["--resume", "{sessionId}"]` disappears on
 * the first run). The element `"{extraArgs}"` is replaced by the `extraArgs` option.
 *
 * Without a `{prompt}` anywhere, the prompt is written to the process's stdin instead (no argv
 * length limit, no confusion of a prompt starting with `-` with a flag); otherwise stdin is closed
 * at once.
 */
export type ArgTemplate = ReadonlyArray<string | readonly string[]>;

export interface ArgValues {
  prompt?: string;
  sessionId?: string;
  model?: string;
  provider?: string;
}

/**
 * Default templates. Claude Code: `claude -p <prompt> --output-format stream-json --verbose
 * [--model M] [--resume ID]`. Codex: `codex exec --json [--model M] [resume ID] <prompt>` (flags of
 * `exec` go before its `resume` subcommand). Put policy flags (`--permission-mode`,
 * `--dangerously-skip-permissions`, `--sandbox`, `--skip-git-repo-check`, ...) in `extraArgs`.
 */
export const DEFAULT_ARGS: Record<CommandDialect, ArgTemplate> = {
  'claude-stream-json': ['-p', '{prompt}', '--output-format', 'stream-json', '--verbose', ['--model', '{model}'], ['--resume', '{sessionId}'], '{extraArgs}'],
  'codex-exec-json': ['exec', '--json', ['--model', '{model}'], '{extraArgs}', ['resume', '{sessionId}'], '{prompt}'],
};

export const DEFAULT_COMMAND: Record<CommandDialect, string> = {
  'claude-stream-json': 'claude',
  'codex-exec-json': 'codex',
};

const PLACEHOLDER = /\{(prompt|sessionId|model|provider)\}/g;
const EXTRA_ARGS = '{extraArgs}';

/** The argv of one run. */
export function buildCommandArgs(template: ArgTemplate, values: ArgValues, extraArgs: readonly string[] = []): string[] {
  const args: string[] = [];
  for (const element of template) {
    if (element === EXTRA_ARGS) {
      args.push(...extraArgs);
      continue;
    }
    const group = typeof element === 'string' ? [element] : element;
    const filled = group.map((part) => fill(part, values));
    if (filled.every((part): part is string => part !== undefined)) args.push(...filled);
  }
  return args;
}

/** Whether the template passes the prompt in argv (else it goes to stdin). */
export function templateUses(template: ArgTemplate, name: keyof ArgValues): boolean {
  return template.some((element) => (typeof element === 'string' ? [element] : element).some((part) => part.includes(`{${name}}`)));
}

/** One pass, so a value that itself contains `{...}` is never expanded again. */
function fill(part: string, values: ArgValues): string | undefined {
  let missing = false;
  const out = part.replace(PLACEHOLDER, (_match, name: keyof ArgValues) => {
    const value = values[name];
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}
