import { addUsage, emptyUsage, makeUsage, type AgentUsage } from '../runtime/agent-runtime';

/**
 * Whether a CLI reports what one run used (`per-run`) or the running total of the conversation,
 * which keeps counting across resumes (`cumulative`). Codex's `turn.completed.usage` is the thread's
 * total (restored from the rollout on `resume`); Claude Code's `result.usage` covers the run, but
 * its `total_cost_usd` continues the resumed session's cost.
 */
export type UsageReporting = 'per-run' | 'cumulative';

export interface UsageReportingModes {
  tokens: UsageReporting;
  cost: UsageReporting;
}

/**
 * Turns what a CLI reports into deltas, so summing `usage` events never counts a token twice. For a
 * cumulative field the baseline is the last report of this conversation (reset when a run starts
 * a new conversation); a report below its baseline means the CLI started counting afresh, and counts
 * in full.
 */
export class UsageMeter {
  private totals = emptyUsage();
  private tokenBaseline?: AgentUsage;
  private costBaseline?: number;

  constructor(private readonly modes: UsageReportingModes) {}

  get total(): AgentUsage {
    return { ...this.totals };
  }

  /** A run starts; `continues`: it resumes the conversation of the earlier runs. */
  beginRun(continues: boolean): void {
    if (continues) return;
    this.tokenBaseline = undefined;
    this.costBaseline = undefined;
  }

  /** Records one report and returns what it adds. */
  record(reported: AgentUsage): AgentUsage {
    const tokens = this.modes.tokens === 'cumulative' ? this.tokenDelta(reported) : reported;
    let costUsd = reported.costUsd;
    if (costUsd !== undefined && this.modes.cost === 'cumulative') {
      const base = this.costBaseline;
      this.costBaseline = costUsd;
      if (base !== undefined && costUsd >= base) costUsd -= base;
    }
    const delta = makeUsage({
      input: tokens.inputTokens,
      output: tokens.outputTokens,
      cacheRead: tokens.cacheRead,
      cacheWrite: tokens.cacheWrite,
      costUsd,
    });
    this.totals = addUsage(this.totals, delta);
    return delta;
  }

  private tokenDelta(reported: AgentUsage): AgentUsage {
    const base = this.tokenBaseline;
    this.tokenBaseline = reported;
    const fields = ['inputTokens', 'outputTokens', 'cacheRead', 'cacheWrite'] as const;
    if (!base || fields.some((f) => (reported[f] ?? 0) < (base[f] ?? 0))) return reported;
    const delta: AgentUsage = {
      inputTokens: reported.inputTokens - base.inputTokens,
      outputTokens: reported.outputTokens - base.outputTokens,
      totalTokens: 0,
    };
    if (reported.cacheRead !== undefined) delta.cacheRead = reported.cacheRead - (base.cacheRead ?? 0);
    if (reported.cacheWrite !== undefined) delta.cacheWrite = reported.cacheWrite - (base.cacheWrite ?? 0);
    return delta;
  }
}
