import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { captureContext } from '@godel/observability';
import { AgentProcessExitedError } from '../pi/errors';
import type { PiRpcProcess } from '../pi/pi-rpc-process';
import type { Running, TurnLimit } from './host-types';

/**
 * The agent processes running on this instance, by agent address, and what can be asked of a
 * running one (prompt, steer, abort, model, stats, session). Starting and stopping them is the
 * process host's (its subclass).
 */
export class ProcessTable {
  protected readonly running = new Map<string, Running>();

  constructor(private readonly table: { rootDir: string; commandTimeoutMs?: number }) {}

  has(agent: string): boolean {
    const r = this.running.get(agent);
    return !!r && (r.pi ? r.pi.running : true);
  }

  /** The pid of the agent's pi process here, if it runs one. */
  pidOf(agent: string): number | undefined {
    return this.running.get(agent)?.pi?.pid;
  }

  /** The pi process of a pi agent (its pid, for operators and tests). */
  get(agent: string): PiRpcProcess | undefined {
    return this.running.get(agent)?.pi;
  }

  protected req(agent: string): Running {
    const r = this.running.get(agent);
    if (!r) throw new AgentProcessExitedError(`agent ${agent} has no running process on this instance`);
    return r;
  }

  /**
   * Sends a prompt. `by` (the prompting message's envelope id) makes it once per message: a turn that
   * runs again after its first attempt prompted this same live process (the attempt's commit failed,
   * a retry, a lease lost mid-turn) finds the prompt accepted and sends nothing — pi would refuse a
   * second prompt mid-turn ("already processing"). A re-run that comes while the first attempt's send
   * is still under way (the old turn, fenced, is not stopped) waits for that send and shares its outcome.
   */
  async prompt(agent: string, text: string, by?: string): Promise<void> {
    const r = this.req(agent);
    if (by !== undefined && r.promptedBy === by) return;
    if (by !== undefined && r.prompting?.by === by) return r.prompting.sent;
    r.trace = captureContext();
    const sent = r.runtime.prompt(text);
    if (by !== undefined) r.prompting = { by, sent };
    try {
      await sent;
      r.promptedBy = by;
    } finally {
      if (r.prompting?.sent === sent) r.prompting = undefined;
    }
  }

  /** Whether the live process was already prompted by the message `by` (see `prompt`). */
  promptedBy(agent: string, by: string): boolean {
    return this.running.get(agent)?.promptedBy === by;
  }

  steer(agent: string, text: string): Promise<void> {
    const r = this.req(agent);
    r.trace = captureContext();
    return r.runtime.steer(text);
  }

  abort(agent: string): Promise<void> {
    return this.req(agent).runtime.abort();
  }

  /**
   * Enforces a budget during the next turn: after each model response the streamed usage is added
   * up, and the turn is aborted as soon as the limit is reached — so a turn overshoots by at most
   * the one response that crossed it. The turn then ends with `budgetExceeded` in `agent.turn_end`.
   */
  limitTurn(agent: string, limit: TurnLimit | undefined): void {
    const r = this.running.get(agent);
    if (!r) return;
    r.limit = limit;
    r.turnUsage = { total: 0, costUsd: 0 };
    r.limitHit = undefined;
  }

  setModel(agent: string, provider: string, model: string): Promise<void> {
    return this.req(agent).runtime.setModel(provider, model);
  }

  /** Tokens and cost of the agent's conversation, from the runtime's own accounting. */
  async stats(agent: string): Promise<{ input: number; output: number; total: number; costUsd: number }> {
    const u = await this.req(agent).runtime.getStats({ deadlineMs: this.table.commandTimeoutMs ?? 10000 });
    return { input: u.inputTokens, output: u.outputTokens, total: u.totalTokens, costUsd: u.costUsd ?? 0 };
  }

  /** Whether the conversation already holds a user prompt (a resumed session does). */
  async hasConversation(agent: string): Promise<boolean> {
    const r = this.req(agent);
    if (r.pi) return (await r.pi.getMessages()).some((m) => m.role === 'user');
    return !!(await r.runtime.getState()).sessionId;
  }

  dirs(agent: string): { agentDir: string; sessionDir: string } {
    const safe = agent.replace(/[^A-Za-z0-9._-]/g, '_');
    return { agentDir: join(this.table.rootDir, safe, 'pi'), sessionDir: join(this.table.rootDir, safe, 'sessions') };
  }

  /** The process's session file (name and content), for durable storage. */
  async snapshotSession(agent: string): Promise<{ fileName: string; content: string } | undefined> {
    const r = this.running.get(agent);
    if (!r) return undefined;
    if (!r.pi) {
      const id = (await r.runtime.getState()).sessionId;
      return id ? { fileName: 'resume-id', content: id } : undefined;
    }
    const state = await r.pi.getState({ timeoutMs: this.table.commandTimeoutMs ?? 10000 });
    if (!state.sessionFile) return undefined;
    // A pooled process names its files at the slot's path: they are in the agent's folder now.
    const file = r.pooled && state.sessionFile.startsWith(`${r.pooled.slotRoot}/`) ? join(r.pooled.agentRoot, state.sessionFile.slice(r.pooled.slotRoot.length + 1)) : state.sessionFile;
    return { fileName: basename(file), content: await readFile(file, 'utf8') };
  }}
