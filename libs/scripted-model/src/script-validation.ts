import type { Script, ScriptBook, Step, ToolCallSpec, UsageSpec } from './script';

/**
 * A script file or object that cannot be played. The message names the source, the script, the
 * step index and the field, e.g. `demo.yaml: script "writer", step 2: toolCalls[0].name must be a
 * non-empty string`.
 */
export class ScriptValidationError extends Error {
  readonly code = 'scripted_model.invalid_script';
  readonly retryable = false;

  constructor(
    message: string,
    readonly details: { source: string; script?: string; step?: number; field?: string },
  ) {
    super(message);
    this.name = 'ScriptValidationError';
  }

  toJSON(): { code: string; message: string; retryable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

interface Where {
  source: string;
  script?: string;
  step?: number;
}

const STEP_KEYS = new Set(['text', 'toolCalls', 'error', 'delayMs', 'usage']);

function fail(where: Where, field: string | undefined, problem: string): never {
  const parts = [where.script !== undefined ? `script "${where.script}"` : undefined, where.step !== undefined ? `step ${where.step}` : undefined];
  const location = parts.filter(Boolean).join(', ');
  const message = `${where.source}: ${location ? `${location}: ` : ''}${field ? `${field} ` : ''}${problem}`;
  throw new ScriptValidationError(message, { ...where, field });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkCount(value: unknown, where: Where, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(where, field, `must be an integer between ${min} and ${max}`);
  }
  return value;
}

function checkUsage(value: unknown, where: Where): UsageSpec {
  if (!isRecord(value)) fail(where, 'usage', 'must be an object { promptTokens, completionTokens }');
  return {
    promptTokens: checkCount(value.promptTokens, where, 'usage.promptTokens', 0),
    completionTokens: checkCount(value.completionTokens, where, 'usage.completionTokens', 0),
  };
}

function checkToolCalls(value: unknown, where: Where): ToolCallSpec[] {
  if (!Array.isArray(value) || value.length === 0) fail(where, 'toolCalls', 'must be a non-empty list');
  return value.map((call, i) => {
    const field = `toolCalls[${i}]`;
    if (!isRecord(call)) fail(where, field, 'must be an object { name, arguments }');
    if (typeof call.name !== 'string' || call.name.trim() === '') fail(where, `${field}.name`, 'must be a non-empty string');
    const args = call.arguments ?? {};
    if (!isRecord(args)) fail(where, `${field}.arguments`, 'must be an object');
    return { name: call.name, arguments: args };
  });
}

/** Checks one step and returns a clean copy (unknown keys are rejected, not ignored). */
export function validateStep(raw: unknown, where: Where): Step {
  if (!isRecord(raw)) fail(where, undefined, 'must be an object with one of text, toolCalls, error');
  for (const key of Object.keys(raw)) {
    if (!STEP_KEYS.has(key)) fail(where, key, `is not a known field (expected ${[...STEP_KEYS].join(', ')})`);
  }
  const kinds = ['text', 'toolCalls', 'error'].filter((k) => raw[k] !== undefined);
  if ('error' in raw && kinds.length > 1) fail(where, 'error', 'cannot be combined with text or toolCalls');
  if (kinds.length === 0) fail(where, undefined, 'needs one of text, toolCalls, error');
  const delayMs = raw.delayMs === undefined ? undefined : checkCount(raw.delayMs, where, 'delayMs', 0, 600_000);
  const timing = delayMs === undefined ? {} : { delayMs };
  if (raw.error !== undefined) {
    const error = raw.error;
    if (!isRecord(error)) fail(where, 'error', 'must be an object { status, message }');
    const status = checkCount(error.status, where, 'error.status', 400, 599);
    if (typeof error.message !== 'string' || error.message === '') fail(where, 'error.message', 'must be a non-empty string');
    if (raw.usage !== undefined) fail(where, 'usage', 'makes no sense on an error step');
    const retryAfterMs = error.retryAfterMs === undefined ? undefined : checkCount(error.retryAfterMs, where, 'error.retryAfterMs', 0);
    return { error: { status, message: error.message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }, ...timing };
  }
  if (raw.text !== undefined && typeof raw.text !== 'string') fail(where, 'text', 'must be a string');
  const usage = raw.usage === undefined ? {} : { usage: checkUsage(raw.usage, where) };
  const text = raw.text as string | undefined;
  if (raw.toolCalls !== undefined) {
    return { toolCalls: checkToolCalls(raw.toolCalls, where), ...(text === undefined ? {} : { text }), ...usage, ...timing };
  }
  return { text: text as string, ...usage, ...timing };
}

export function validateScript(raw: unknown, where: Where): Script {
  if (!Array.isArray(raw)) fail(where, undefined, 'must be a list of steps');
  if (raw.length === 0) fail(where, undefined, 'must have at least one step');
  return raw.map((step, i) => validateStep(step, { ...where, step: i }));
}

/**
 * Accepts the three file shapes: a bare list of steps, `{ steps: [...] }`, or
 * `{ scripts: { NAME: [...] }, default?: NAME }`. Returns a `ScriptBook`; a single script is named
 * "default" and made the default.
 */
export function parseScriptBook(raw: unknown, source: string): ScriptBook {
  if (Array.isArray(raw)) return { scripts: { default: validateScript(raw, { source }) }, default: 'default' };
  if (!isRecord(raw)) fail({ source }, undefined, 'must be a list of steps, { steps }, or { scripts, default? }');
  if (raw.steps !== undefined) {
    const extra = Object.keys(raw).filter((k) => k !== 'steps');
    if (extra.length > 0) fail({ source }, extra[0], 'is not a known field next to steps');
    return { scripts: { default: validateScript(raw.steps, { source }) }, default: 'default' };
  }
  if (!isRecord(raw.scripts)) fail({ source }, 'scripts', 'must be a map of script name to list of steps');
  const extra = Object.keys(raw).filter((k) => k !== 'scripts' && k !== 'default');
  if (extra.length > 0) fail({ source }, extra[0], 'is not a known field (expected scripts, default)');
  const scripts: Record<string, Script> = {};
  for (const [name, steps] of Object.entries(raw.scripts)) {
    if (!/^[A-Za-z0-9_.\-/]+$/.test(name)) fail({ source, script: name }, undefined, 'name may only use letters, digits, _ . - /');
    scripts[name] = validateScript(steps, { source, script: name });
  }
  if (Object.keys(scripts).length === 0) fail({ source }, 'scripts', 'must name at least one script');
  if (raw.default !== undefined && (typeof raw.default !== 'string' || !(raw.default in scripts))) {
    fail({ source }, 'default', `must name one of the scripts (${Object.keys(scripts).join(', ')})`);
  }
  return { scripts, ...(raw.default === undefined ? {} : { default: raw.default as string }) };
}
