/**
 * pi extension: refuses tool calls whose paths leave the agent's worktree.
 *
 * Loaded by pi itself (`pi --no-extensions --extension <this file>`, TypeScript through pi's jiti
 * loader, or the compiled .js after a build); Godel never imports it. Configuration comes from the
 * environment (see GUARD_ENV); without GODEL_WORKTREE the factory throws, and pi refuses to start
 * when an extension fails to load, so a misconfigured guard never means an unguarded agent.
 *
 * A refusal is pi's own `tool_call` block: the tool does not run, the model gets the reason as an
 * error tool result, and RPC clients see `tool_execution_end` with `isError: true`. Each refusal
 * is also appended to GODEL_GUARD_LOG as a `guard.denied` JSON line and sent as an
 * `extension_ui_request` notify event (see guard-denials.ts).
 */
import { appendFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute } from 'node:path';
import type { ExtensionAPI, ExtensionContext, ToolCallEvent } from '@mariozechner/pi-coding-agent' with { 'resolution-mode': 'import' };
import { GUARD_DENIED, GUARD_ENV, GUARD_NOTIFY_PREFIX, type GuardDenial } from './guard-protocol';
import { ToolCallPolicy } from './tool-call-policy';

interface GuardConfig {
  worktree: string;
  logFile?: string;
  readRoots: string[];
}

export default function godelPathGuard(pi: ExtensionAPI): void {
  // eslint-disable-next-line no-restricted-properties -- runs inside pi, whose environment Godel's launcher sets
  const env = process.env;
  const config = readGuardConfig(env);
  // Commands the agent runs inherit pi's environment: they need not learn where the log is.
  delete env[GUARD_ENV.log];
  delete env[GUARD_ENV.readRoots];
  const policy = new ToolCallPolicy({ worktree: config.worktree, readRoots: config.readRoots, homeDir: homedir() });

  pi.on('tool_call', async (event: ToolCallEvent, ctx: ExtensionContext) => {
    const input = event.input as Record<string, unknown>;
    const verdict = await policy.check(event.toolName, input, ctx.cwd);
    if (verdict.allowed) return undefined;
    const denial: GuardDenial = {
      type: GUARD_DENIED,
      at: new Date().toISOString(),
      pid: process.pid,
      worktree: config.worktree,
      cwd: ctx.cwd,
      toolName: event.toolName,
      toolCallId: event.toolCallId,
      input: summarizeInput(input),
      findings: verdict.findings,
      reason: verdict.reason,
    };
    report(denial, config, ctx);
    return { block: true, reason: verdict.reason };
  });
}

export function readGuardConfig(env: Record<string, string | undefined>): GuardConfig {
  const worktree = env[GUARD_ENV.worktree];
  if (!worktree || !isAbsolute(worktree)) {
    throw new Error(`godel path guard: ${GUARD_ENV.worktree} must be the absolute path of the agent's worktree (got ${JSON.stringify(worktree)})`);
  }
  const logFile = env[GUARD_ENV.log] || undefined;
  if (logFile !== undefined && !isAbsolute(logFile)) throw new Error(`godel path guard: ${GUARD_ENV.log} must be an absolute path (got ${JSON.stringify(logFile)})`);
  const rawRoots = env[GUARD_ENV.readRoots];
  const readRoots: unknown = rawRoots ? JSON.parse(rawRoots) : [];
  if (!Array.isArray(readRoots) || !readRoots.every((r) => typeof r === 'string' && isAbsolute(r))) {
    throw new Error(`godel path guard: ${GUARD_ENV.readRoots} must be a JSON array of absolute paths (got ${rawRoots})`);
  }
  return { worktree, logFile, readRoots };
}

/** The log line first (the record of truth), then the RPC notify event. Neither may undo the refusal. */
function report(denial: GuardDenial, config: GuardConfig, ctx: ExtensionContext): void {
  let logError: string | undefined;
  if (config.logFile) {
    try {
      appendFileSync(config.logFile, `${JSON.stringify(denial)}\n`);
    } catch (err) {
      logError = err instanceof Error ? err.message : String(err);
    }
  }
  try {
    if (ctx.hasUI) ctx.ui.notify(`${GUARD_NOTIFY_PREFIX}${JSON.stringify(logError ? { ...denial, logError } : denial)}`, 'warning');
  } catch {
    // The refusal stands; the log line is the record.
  }
}

const MAX_STRING = 2_000;

/** The arguments for the record: long strings (a `write`'s content) cut, big structures elided. */
export function summarizeInput(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (typeof value === 'string') out[key] = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}… (${value.length} characters)` : value;
    else if (JSON.stringify(value ?? null).length <= MAX_STRING) out[key] = value;
    else out[key] = `[${Array.isArray(value) ? 'array' : typeof value} omitted]`;
  }
  return out;
}
