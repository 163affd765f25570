import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { onChildEnd } from '../runtime/child-end';
import { AgentProcessExitedError, AgentRuntimeMissingError, AgentTimeoutError, type AgentError } from '../pi/errors';
import { JsonlSplitter } from '../pi/jsonl-splitter';
import { runtimeEvent, type AgentRuntimeEvent, type AgentRuntimeEventData, type RuntimeExit } from '../runtime/agent-runtime';
import type { LineNormalizer } from './line-normalizer';

const STDERR_TAIL_CHARS = 16 * 1024;

type RunEnd = AgentRuntimeEventData['agent.end'];

/** What one run needs from its `CommandRuntime`. */
export interface RunHost {
  readonly name: string;
  readonly command: string;
  readonly normalizer: LineNormalizer;
  readonly runTimeoutMs: number;
  readonly idleTimeoutMs?: number;
  readonly killGraceMs: number;
  readonly exitAfterEndMs: number;
  emit(event: AgentRuntimeEvent): void;
  /** The run's process is gone (called before its end is worked out). */
  released(run: CommandRun): void;
  /** The run's one `agent.end`, once its process is gone. */
  ended(end: RunEnd): void;
}

/**
 * One process of a `CommandRuntime` (one prompt): reads its JSON lines through the normalizer, keeps
 * its stderr tail, enforces the run and idle deadlines and the linger after the CLI's final record,
 * kills its process group, and works out its one `agent.end` when the process is gone.
 */
export class CommandRun {
  readonly pid: number;
  readonly done: Promise<RuntimeExit>;
  private readonly splitter: JsonlSplitter;
  private stderr = '';
  private sawStdout = false;
  private finished = false;
  /** The CLI's own end of the run, held back until the process is gone. */
  private end?: RunEnd;
  /** Why we are killing it, if we are (`lingered`: still there after its final record). */
  private killedFor?: 'aborted' | 'timeout' | 'lingered';
  private runTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private lingerTimer?: NodeJS.Timeout;

  constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly host: RunHost,
  ) {
    const pid = child.pid as number;
    this.pid = pid;
    this.splitter = new JsonlSplitter(
      (line) => this.onLine(line),
      (dropped) => host.emit(host.normalizer.garbage('', `a line longer than the limit (${dropped} characters dropped)`, Date.now(), { pid })),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      this.sawStdout = true;
      this.touch();
      this.splitter.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.touch();
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.stdin.on('error', () => undefined); // EPIPE when the CLI does not read stdin
    child.on('error', () => undefined); // kill() failures; spawn errors were handled by spawnInGroup
    this.runTimer = setTimeout(() => this.timeOut('run', host.runTimeoutMs), host.runTimeoutMs);
    this.touch();
    this.done = new Promise<RuntimeExit>((resolve) => {
      onChildEnd(
        child,
        (exit) => {
          if (this.finished) return;
          this.finished = true;
          this.finish(exit);
          resolve(exit);
        },
        () => killGroup(pid, 'SIGKILL'), // whatever the run left behind in its group
      );
    });
  }

  /** Kills the run (SIGTERM, then SIGKILL to its group after `graceMs`); its end says `aborted`. */
  abort(graceMs: number): Promise<RuntimeExit> {
    this.killedFor ??= 'aborted';
    return this.kill(graceMs);
  }

  private onLine(line: string): void {
    for (const event of this.host.normalizer.push(line, Date.now(), { pid: this.pid })) {
      if (event.kind !== 'agent.end') {
        this.host.emit(event);
        continue;
      }
      this.end = event.data;
      clearTimeout(this.lingerTimer);
      this.lingerTimer = setTimeout(() => this.reap(), this.host.exitAfterEndMs);
    }
  }

  /** The CLI reported the end of its run but does not exit: kill it, keep its report. */
  private reap(): void {
    if (this.finished || this.killedFor) return;
    this.killedFor = 'lingered';
    void this.kill(this.host.killGraceMs);
  }

  private touch(): void {
    const idleMs = this.host.idleTimeoutMs;
    if (idleMs === undefined || this.finished) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.timeOut('idle', idleMs), idleMs);
  }

  private timeOut(operation: 'run' | 'idle', timeoutMs: number): void {
    if (this.finished || this.killedFor) return;
    if (this.end) return this.reap(); // the run itself is over; only the process lingers
    this.killedFor = 'timeout';
    const { name } = this.host;
    const message =
      operation === 'run'
        ? `${name} did not finish its run within ${timeoutMs} ms; killing process group ${this.pid}`
        : `${name} wrote nothing for ${timeoutMs} ms; killing process group ${this.pid}`;
    const error = new AgentTimeoutError(message, { operation, timeoutMs, pid: this.pid, stderrTail: this.stderr.slice(-2_000) });
    this.host.emit(runtimeEvent('error', { message, error }));
    void this.kill(this.host.killGraceMs);
  }

  /** SIGTERM to the run's group, SIGKILL after `graceMs`; resolves when the run is finished. */
  private async kill(graceMs: number): Promise<RuntimeExit> {
    if (this.finished) return this.done;
    this.signal('SIGTERM');
    if (await settlesWithin(this.done, graceMs)) return this.done;
    this.signal('SIGKILL');
    return this.done;
  }

  /** Signals the group the run leads; the leader alone if the group is gone but it is not. */
  private signal(signal: NodeJS.Signals): void {
    if (killGroup(this.pid, signal)) return;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private finish(exit: RuntimeExit): void {
    clearTimeout(this.runTimer);
    clearTimeout(this.idleTimer);
    clearTimeout(this.lingerTimer);
    this.splitter.end();
    this.host.released(this);
    const sessionId = this.host.normalizer.sessionId;
    const common = { exit, ...(sessionId ? { sessionId } : {}) };
    let end: RunEnd;
    if (this.end && (this.killedFor !== undefined || exit.code === 0 || !this.end.ok)) {
      // The CLI reported how its run ended; killing a process that lingered after that changes nothing.
      end = { ...this.end, ...common };
    } else if (this.killedFor === 'aborted' || this.killedFor === 'timeout') {
      end = { ok: false, reason: this.killedFor, ...common };
    } else {
      const error = this.exitError(exit);
      this.host.emit(runtimeEvent('error', { message: error.message, error }));
      end = { ok: false, reason: error instanceof AgentRuntimeMissingError ? 'failed' : 'exited', detail: error.message, ...common };
    }
    this.host.ended(end);
  }

  private exitError(exit: RuntimeExit): AgentError {
    const stderrTail = this.stderr.slice(-2_000);
    const { name, command } = this.host;
    // `#!/usr/bin/env node` without node on the child's PATH, or a wrapper script not finding its CLI.
    if (exit.code === 127 && !this.sawStdout) {
      return new AgentRuntimeMissingError(`${command} could not run (exit 127): ${stderrTail.trim() || 'command not found'}`, { command, pid: this.pid, stderrTail });
    }
    const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
    const what = this.end ? 'after reporting success' : 'without finishing the run';
    const firstLine = stderrTail.trim().split('\n').at(-1);
    return new AgentProcessExitedError(`${name} exited with ${how} ${what}${firstLine ? `: ${firstLine}` : ''}`, { pid: this.pid, ...exit, stderrTail });
  }
}

/** Only the group: after the leader is reaped its pid may belong to someone else. */
function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
