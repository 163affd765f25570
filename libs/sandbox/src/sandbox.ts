import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildBwrapArgs, dedupe, isWithin, type HostLayout } from './bwrap-args';
import { findBwrap, hostLayout, probeBwrap } from './host-layout';
import { EGRESS_PROXY_PORT, INSIDE_RELAY_SOURCE, openRelays, type RelaySet } from './net-relay';
import type { SandboxMode, SandboxRequest, SandboxedCommand } from './sandbox-types';

export interface SandboxOptions {
  /** Default `bwrap`. `off` runs commands as they are (with their explicit environment) and warns. */
  mode?: SandboxMode;
  /** The bwrap binary; default /usr/bin/bwrap or /usr/local/bin/bwrap. */
  bwrap?: string;
  /** The node binary the inside relay runs with (default: this process's). */
  nodeBinary?: string;
  /** Called at every start while the sandbox is off (development only). */
  onWarn?: (message: string) => void;
  /**
   * CPU niceness of every command it prepares (0–19, default 10; 0 = the server's own): agent
   * processes and verifications yield the CPU to the control plane, so a box busy starting agents
   * does not starve lease renewals and asks. Set twice, since either alone can be void: the
   * process's niceness (coreutils' `nice`, exec: same pid), which counts within a cgroup (a
   * container), and its session's autogroup niceness (`/proc/<pid>/autogroup`, written by the shell
   * that execs the command), which counts on a host with autogroup scheduling, where every session
   * (each sandbox has its own) competes as an equal of the server whatever its processes' niceness.
   */
  nice?: number;
}

/** The niceness commands run at unless SandboxOptions.nice says otherwise. */
export const DEFAULT_SANDBOX_NICE = 10;

const niceBinary = (): string | undefined => ['/usr/bin/nice', '/bin/nice'].find((c) => existsSync(c));

/**
 * The shell that execs the command: sets its session's autogroup niceness (at once; without
 * CAP_SYS_ADMIN the kernel takes one such write per 100 ms from anyone, so on EAGAIN it retries in
 * the background, holding none of the command's pipes, for up to 3 s while the command lives) and
 * starts the network relay beside it. Only a session of the command's own is reniced: bwrap's
 * (--new-session, `ownSession`); in `off` mode only when the shell leads its session (the caller
 * spawned it detached, as the agent host does), else the autogroup is the caller's and is left alone.
 * `$$` is the command's pid after `exec`: the relay ends when it is no longer its parent.
 */
function launchScript(o: { nice: boolean; relay: boolean; ownSession: boolean }): string {
  const parts: string[] = [];
  if (o.nice) {
    parts.push(
      // In bwrap the shell's session is bwrap's new one (led by its pid 1); outside, it must lead its own.
      `g=$1; shift; ${o.ownSession ? 's=$$' : 'read -r _ _ _ _ _ s _ < /proc/$$/stat'}; if [ "$s" = "$$" ]; then { echo "$g" > /proc/$$/autogroup; } 2>/dev/null || ( i=0; while [ $i -lt 30 ] && [ -d /proc/$$ ]; do sleep 0.1; { echo "$g" > /proc/$$/autogroup; } 2>/dev/null && exit 0; i=$((i+1)); done ) </dev/null >/dev/null 2>&1 & fi;`,
    );
  }
  if (o.relay) parts.push('r=$1; s=$2; n=$3; shift 3; "$n" -e "$r" "$s" "$$" </dev/null 1>&2 &');
  return [...parts, 'exec "$@"'].join(' ');
}

export const SANDBOX_OFF_WARNING =
  'GODEL_SANDBOX=off: agents and verifications run WITHOUT the OS sandbox, as the server user, with access to its files and loopback services; development only';

/**
 * Wraps commands in bubblewrap. One instance per server (it caches the host layout and the probe).
 * `prepare` turns a request into what to spawn; the caller spawns it and calls `close` when the
 * process is gone. Fails closed: without bwrap, `prepare` rejects with `sandbox.unavailable`.
 */
export class Sandbox {
  readonly mode: SandboxMode;
  private layout?: HostLayout;
  private readonly nice: number;

  constructor(private readonly options: SandboxOptions = {}) {
    this.mode = options.mode ?? 'bwrap';
    this.nice = options.nice ?? DEFAULT_SANDBOX_NICE;
  }

  /** Rejects with `sandbox.unavailable` when the sandbox is on and bwrap cannot run here. */
  async check(): Promise<void> {
    if (this.mode === 'off') return;
    this.layout ??= hostLayout();
    await probeBwrap(findBwrap(this.options.bwrap), this.layout);
  }

  async prepare(req: SandboxRequest): Promise<SandboxedCommand> {
    const cmd = await this.wrap(req);
    const nice = this.nice > 0 ? niceBinary() : undefined;
    return nice ? { ...cmd, file: nice, args: ['-n', String(this.nice), cmd.file, ...cmd.args] } : cmd;
  }

  /** `[file, ...args]` of what runs inside: the command itself, or the launch shell before it. */
  private inner(req: SandboxRequest, relay?: { inside: Array<[number, string]>; node: string }): string[] {
    const nice = this.nice > 0;
    if (!nice && !relay) return [req.file, ...req.args];
    const args = [...(nice ? [String(this.nice)] : []), ...(relay ? [INSIDE_RELAY_SOURCE, JSON.stringify(relay.inside), relay.node] : [])];
    const script = launchScript({ nice, relay: relay !== undefined, ownSession: this.mode === 'bwrap' });
    return ['/bin/sh', '-c', script, 'godel-sandbox', ...args, req.file, ...req.args];
  }

  private async wrap(req: SandboxRequest): Promise<SandboxedCommand> {
    if (this.mode === 'off') {
      this.options.onWarn?.(SANDBOX_OFF_WARNING);
      const [file, ...args] = this.inner(req);
      return { file, args, cwd: req.cwd, env: { ...req.env }, sandboxed: false, close: async () => undefined };
    }
    await this.check();
    const bwrap = findBwrap(this.options.bwrap)!;
    const node = this.options.nodeBinary ?? process.execPath;
    const loopback = req.loopbackPorts ?? [];
    const egress = req.egressHosts ?? [];
    let relays: RelaySet | undefined;
    if (loopback.length > 0 || egress.length > 0) relays = await openRelays(loopback, egress, req.onEgressDenied);
    try {
      const readable = [...(req.readable ?? [])];
      // The relay and most agent CLIs (pi's `#!/usr/bin/env node`) need node; outside /usr it must be bound.
      if (!this.layout!.systemDirs.some((d) => isWithin(d, node))) readable.push(dirname(node));
      const args = buildBwrapArgs(this.layout!, {
        cwd: req.cwd,
        readable: dedupe(readable),
        hidden: req.hidden ?? [],
        writable: req.writable ?? [],
        readOnlyOver: req.readOnlyOver ?? [],
        netDir: relays?.dir,
      });
      const env = { ...req.env };
      if (egress.length > 0) {
        const proxy = `http://127.0.0.1:${EGRESS_PROXY_PORT}`;
        Object.assign(env, { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, https_proxy: proxy, http_proxy: proxy, NO_PROXY: '127.0.0.1,localhost,::1', no_proxy: '127.0.0.1,localhost,::1' });
      }
      // The relay starts beside the command (not before it): no extra latency on the start path.
      args.push('--', ...this.inner(req, relays ? { inside: relays.inside, node } : undefined));
      return { file: bwrap, args, cwd: req.cwd, env, sandboxed: true, close: () => relays?.close() ?? Promise.resolve() };
    } catch (err) {
      await relays?.close();
      throw err;
    }
  }
}
