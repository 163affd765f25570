/** A process to start: what `spawn` gets. */
export interface LaunchCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** What a launcher turned it into (e.g. wrapped in the sandbox), with what to release once it exited. */
export interface Launched extends LaunchCommand {
  close(): Promise<void>;
}

/**
 * Rewrites a command before it is spawned: the process host passes one that puts every agent
 * process inside the OS sandbox (`@godel/sandbox`). Without one, the command runs as it is.
 */
export type Launcher = (command: LaunchCommand) => Promise<Launched>;
