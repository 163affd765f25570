/** `bwrap`: every command runs inside bubblewrap (the default). `off`: development only, warns at every start. */
export type SandboxMode = 'bwrap' | 'off';

/** A command to run inside the sandbox. Every path is absolute; nothing is visible unless listed. */
export interface SandboxRequest {
  /** Executable (absolute, or looked up on `env.PATH` inside the sandbox). */
  file: string;
  args: readonly string[];
  /** Working directory; must lie inside a `writable` or `readable` path. */
  cwd: string;
  /** The whole environment of the command: nothing is inherited. */
  env: Record<string, string>;
  /** Bound read-only at the same path (after the system folders). */
  readable?: readonly string[];
  /** Replaced by an empty folder after `readable` (e.g. Godel's home below an install root). */
  hidden?: readonly string[];
  /** Bound read-write at the same path (after `hidden`). */
  writable?: readonly string[];
  /** Bound read-only over what `writable` exposed (a git config inside a writable tree...). */
  readOnlyOver?: readonly string[];
  /** Loopback TCP ports of the host reachable from inside at the same address (127.0.0.1:port). */
  loopbackPorts?: readonly number[];
  /** Remote `host:port`s reachable through the egress proxy (HTTPS_PROXY inside). */
  egressHosts?: readonly string[];
  /** Called for each refused egress request (for an event). */
  onEgressDenied?: (target: string) => void;
}

/** What to spawn: the same shape as the request, plus a `close` that releases the network relays. */
export interface SandboxedCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  sandboxed: boolean;
  /** Stops the host side of the relays; call once the process is gone. Idempotent. */
  close(): Promise<void>;
}
