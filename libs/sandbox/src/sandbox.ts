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

  constructor(private readonly options: SandboxOptions = {}) {
    this.mode = options.mode ?? 'bwrap';
  }

  /** Rejects with `sandbox.unavailable` when the sandbox is on and bwrap cannot run here. */
  async check(): Promise<void> {
    if (this.mode === 'off') return;
    this.layout ??= hostLayout();
    await probeBwrap(findBwrap(this.options.bwrap), this.layout);
  }

  async prepare(req: SandboxRequest): Promise<SandboxedCommand> {
    if (this.mode === 'off') {
      this.options.onWarn?.(SANDBOX_OFF_WARNING);
      return { file: req.file, args: [...req.args], cwd: req.cwd, env: { ...req.env }, sandboxed: false, close: async () => undefined };
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
      args.push('--');
      if (relays) {
        // The relay starts beside the command (not before it): no extra latency on the start path.
        // `$$` becomes the command's pid with `exec`: the relay ends when it is no longer its parent.
        const script = 'r=$1; s=$2; n=$3; shift 3; "$n" -e "$r" "$s" "$$" </dev/null 1>&2 & exec "$@"';
        args.push('/bin/sh', '-c', script, 'godel-sandbox', INSIDE_RELAY_SOURCE, JSON.stringify(relays.inside), node, req.file, ...req.args);
      } else {
        args.push(req.file, ...req.args);
      }
      return { file: bwrap, args, cwd: req.cwd, env, sandboxed: true, close: () => relays?.close() ?? Promise.resolve() };
    } catch (err) {
      await relays?.close();
      throw err;
    }
  }
}
