import { AgentProtocolError } from '../pi/errors';
import { runtimeEvent, type AgentRuntimeEvent, type AgentUsage } from '../runtime/agent-runtime';
import { isRecord } from '../runtime/text';
import { normalizeClaudeRecord } from './claude-stream-json';
import { normalizeCodexRecord } from './codex-exec-json';
import type { CommandDialect } from './command-args';
import { resetRunState, type DialectState } from './dialect-state';
import { UsageMeter, type UsageReportingModes } from './usage-meter';

/** How each dialect reports usage (see `UsageReporting`). */
export const DEFAULT_USAGE_REPORTING: Record<CommandDialect, UsageReportingModes> = {
  'claude-stream-json': { tokens: 'per-run', cost: 'cumulative' },
  'codex-exec-json': { tokens: 'cumulative', cost: 'per-run' },
};

const MAX_SHOWN_LINE = 2_000;

/**
 * Normalizes the stdout lines of a JSON-lines CLI, one run after the other. Stateful: it names
 * tool results after their calls, remembers the session id, and turns cumulative usage reports
 * into deltas across the runs of one conversation.
 *
 * A line that is not a JSON object with a string `type` becomes a `protocol_error` event (never an
 * exception); a record of an unknown type is skipped (newer CLI versions add types).
 */
export class LineNormalizer {
  private readonly state: DialectState;

  constructor(
    readonly dialect: CommandDialect,
    options: { usageReporting?: Partial<UsageReportingModes>; sessionId?: string } = {},
  ) {
    const modes = { ...DEFAULT_USAGE_REPORTING[dialect], ...options.usageReporting };
    this.state = { toolNames: new Map(), startedTools: new Set(), meter: new UsageMeter(modes), sessionId: options.sessionId };
  }

  /** The session / thread id the CLI reported last (or the one given at construction). */
  get sessionId(): string | undefined {
    return this.state.sessionId;
  }

  /** Usage summed over every run so far. */
  get totalUsage(): AgentUsage {
    return this.state.meter.total;
  }

  /**
   * A new run (process) starts. `resumes`: it continues the conversation of the runs before (so
   * cumulative usage is measured against them); otherwise the session id is forgotten too.
   */
  beginRun(resumes: boolean): void {
    resetRunState(this.state);
    this.state.meter.beginRun(resumes);
    if (!resumes) this.state.sessionId = undefined;
  }

  /** Events for one stdout line (without its newline). `details` go into protocol errors (e.g. pid). */
  push(line: string, at: number = Date.now(), details: Record<string, unknown> = {}): AgentRuntimeEvent[] {
    if (line.trim() === '') return [];
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return [this.garbage(line, `not JSON (${(err as Error).message})`, at, details)];
    }
    if (!isRecord(value)) return [this.garbage(line, 'a JSON value that is not an object', at, details)];
    if (typeof value.type !== 'string') return [this.garbage(line, 'an object without a string "type"', at, details)];
    return this.dialect === 'claude-stream-json' ? normalizeClaudeRecord(value, this.state, at) : normalizeCodexRecord(value, this.state, at);
  }

  /** A protocol error for output that could not even be split into lines (e.g. an endless line). */
  garbage(line: string, reason: string, at: number = Date.now(), details: Record<string, unknown> = {}): AgentRuntimeEvent {
    const shown = line.length > MAX_SHOWN_LINE ? `${line.slice(0, MAX_SHOWN_LINE)}…` : line;
    const error = new AgentProtocolError(`${this.dialect} output: ${reason}`, { ...details, dialect: this.dialect, reason, line: shown });
    return runtimeEvent('protocol_error', { error, line: shown }, at);
  }
}
