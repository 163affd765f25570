import { isAbsolute } from 'node:path';

/** The host's system folders: which are real folders and which are symlinks (usr-merged Debian). */
export interface HostLayout {
  /** Folders bound read-only as they are, e.g. /usr, /etc. */
  systemDirs: string[];
  /** Top-level symlinks re-created inside, e.g. { '/bin': 'usr/bin' }. */
  symlinks: Record<string, string>;
  /** Files masked with an empty file (secrets readable by root: /etc/shadow...). */
  masked: string[];
}

/** The fixed folder of the sandbox's scratch home and of the network relay sockets. */
export const SANDBOX_RUN_DIR = '/run/godel-sandbox';

export interface BwrapLayout {
  cwd: string;
  readable: readonly string[];
  hidden: readonly string[];
  writable: readonly string[];
  readOnlyOver: readonly string[];
  /** Host folder holding the relay sockets, bound at SANDBOX_RUN_DIR/net. */
  netDir?: string;
}

/**
 * bubblewrap's arguments (before `--` and the command). Order matters: bwrap applies mounts in
 * argument order, so later binds sit on top of earlier ones: system folders, then `readable`, then
 * empty folders over `hidden`, then `writable`, then `readOnlyOver` on top.
 *
 * Namespaces: a new pid namespace (no other process is visible or signalable), a new network
 * namespace (only its own loopback; the relays make the allowed ports reachable), new ipc/uts,
 * no capabilities (bwrap drops them), `--die-with-parent` (the sandbox dies with the server),
 * `--new-session` (no TIOCSTI into a terminal).
 */
export function buildBwrapArgs(host: HostLayout, layout: BwrapLayout): string[] {
  const all = [layout.cwd, ...layout.readable, ...layout.hidden, ...layout.writable, ...layout.readOnlyOver];
  for (const p of all) if (!isAbsolute(p)) throw new TypeError(`sandbox paths must be absolute, got ${p}`);
  const args = ['--die-with-parent', '--new-session', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  for (const dir of host.systemDirs) args.push('--ro-bind', dir, dir);
  for (const [link, target] of Object.entries(host.symlinks)) args.push('--symlink', target, link);
  for (const file of host.masked) args.push('--ro-bind', '/dev/null', file);
  args.push('--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--tmpfs', '/var/tmp', '--tmpfs', '/run', '--tmpfs', '/home');
  for (const p of dedupe(layout.readable)) args.push('--ro-bind', p, p);
  for (const p of dedupe(layout.hidden)) args.push('--tmpfs', p);
  for (const p of dedupe(layout.writable)) args.push('--bind', p, p);
  for (const p of dedupe(layout.readOnlyOver)) args.push('--ro-bind', p, p);
  if (layout.netDir) args.push('--ro-bind', layout.netDir, `${SANDBOX_RUN_DIR}/net`);
  args.push('--chdir', layout.cwd);
  return args;
}

/** Drops exact duplicates and paths below another path of the same list (the outer bind covers them). */
export function dedupe(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const p of sorted) if (!out.some((o) => p === o || p.startsWith(o.endsWith('/') ? o : `${o}/`))) out.push(p);
  // Keep the caller's order among what is left (outer before inner is guaranteed by the filter).
  return paths.filter((p, i) => out.includes(p) && paths.indexOf(p) === i);
}

/** True when `path` is `root` or lies below it. */
export function isWithin(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}
