import type { Output } from './output';

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

interface Step {
  name: string;
  run: () => Promise<void>;
  timeoutMs: number;
}

/**
 * Everything a command started, stopped in reverse order exactly once: at the end, on an error, or on
 * Ctrl-C / SIGTERM. A second signal stops waiting: known child PIDs get SIGKILL and the process exits.
 * On any exit, PIDs still registered get SIGKILL so no server outlives the CLI.
 */
export class Lifecycle {
  private readonly steps: Step[] = [];
  private readonly pids = new Set<() => number[]>();
  private closing?: Promise<void>;
  private signals = 0;
  interrupted = false;
  private readonly onSignal = (sig: NodeJS.Signals) => this.handleSignal(sig);
  private readonly onExit = () => this.killRemaining();

  /**
   * @param signalExitCode exit code after a signal once everything stopped (130 for a run that was cut
   *   short; 0 for a foreground server whose normal way to stop is Ctrl-C).
   */
  constructor(
    private readonly out: Output,
    private readonly signalExitCode = 130,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {
    for (const sig of SIGNALS) process.on(sig, this.onSignal);
    process.on('exit', this.onExit);
  }

  /** Registers a stop step; steps run last-registered first. */
  defer(name: string, run: () => Promise<void>, timeoutMs = 15_000): void {
    this.steps.push({ name, run, timeoutMs });
  }

  /** PIDs to SIGKILL if the CLI exits before their stop step ran (read at exit time). */
  trackPids(list: () => number[]): void {
    this.pids.add(list);
  }

  /** Runs every stop step (idempotent); errors are reported and do not stop the later steps. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const step of this.steps.splice(0).reverse()) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        try {
          await Promise.race([
            step.run(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`did not finish within ${step.timeoutMs} ms`)), step.timeoutMs);
            }),
          ]);
        } catch (err) {
          this.out.warn(`cleanup: ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return this.closing;
  }

  /** Removes the exit hook once everything is stopped. */
  dispose(): void {
    for (const sig of SIGNALS) process.removeListener(sig, this.onSignal);
    process.removeListener('exit', this.onExit);
  }

  private handleSignal(sig: NodeJS.Signals): void {
    this.interrupted = true;
    if (++this.signals > 1) {
      this.out.warn(`${sig} again: killing what is left and exiting`);
      this.killRemaining();
      this.exit(130);
      return;
    }
    this.out.warn(`${sig}: stopping everything this command started (press Ctrl-C again to force)`);
    void this.close().finally(() => {
      this.killRemaining();
      this.exit(this.signalExitCode);
    });
  }

  private killRemaining(): void {
    for (const list of this.pids) {
      for (const pid of list()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}
