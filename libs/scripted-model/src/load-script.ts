import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { YAMLParseError, parse as parseYaml } from 'yaml';
import type { ScriptBook } from './script';
import { ScriptValidationError, parseScriptBook } from './script-validation';

/**
 * Reads a script file (`.yaml`, `.yml` or `.json`) and validates it. Accepted shapes:
 *
 * ```yaml
 * - toolCalls: [{ name: write, arguments: { path: hello.txt, content: hi } }]
 * - text: Done.
 * ```
 * or `steps: [...]`, or `scripts: { writer: [...], reviewer: [...] }` with an optional `default`.
 * Errors name the file, the script, the step index and the field.
 */
export async function loadScript(path: string): Promise<ScriptBook> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScriptValidationError(`${path}: cannot read script file (${(err as Error).message})`, { source: path });
  }
  return parseScriptText(text, path);
}

/** Parses script text; the format follows the file extension (JSON for `.json`, YAML otherwise). */
export function parseScriptText(text: string, source: string): ScriptBook {
  let raw: unknown;
  if (extname(source).toLowerCase() === '.json') {
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ScriptValidationError(`${source}: invalid JSON (${(err as Error).message})`, { source });
    }
  } else {
    try {
      raw = parseYaml(text);
    } catch (err) {
      const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
      throw new ScriptValidationError(`${source}: invalid YAML${where} (${(err as Error).message.split('\n')[0]})`, { source });
    }
  }
  return parseScriptBook(raw, source);
}
