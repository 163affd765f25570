import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { HostLayout } from './bwrap-args';
import { INSTALL_HINT, SandboxUnavailableError } from './errors';

/** Not /opt, /srv, /var, /home, /root: what lives there is bound only when a request lists it. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc'];
/** Readable by root, never needed by an agent or a test run. */
const MASKED = ['/etc/shadow', '/etc/gshadow', '/etc/shadow-', '/etc/gshadow-', '/etc/sudoers', '/etc/ssh/ssh_host_rsa_key', '/etc/ssh/ssh_host_ecdsa_key', '/etc/ssh/ssh_host_ed25519_key'];

/** /usr, /etc... as they are on this host (usr-merged systems have /bin → usr/bin symlinks). */
export function hostLayout(): HostLayout {
  const layout: HostLayout = { systemDirs: [], symlinks: {}, masked: [] };
  for (const dir of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) layout.symlinks[dir] = readlinkSync(dir);
    else if (st.isDirectory()) layout.systemDirs.push(dir);
  }
  for (const file of MASKED) {
    try {
      if (lstatSync(file).isFile()) layout.masked.push(file);
    } catch {
      // not there
    }
  }
  return layout;
}

/** The bwrap binary: `explicit` when given (and present), else the usual install locations. */
export function findBwrap(explicit?: string): string | undefined {
  if (explicit !== undefined) return existsSync(explicit) ? explicit : undefined;
  return ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'].find((c) => existsSync(c));
}

const probes = new Map<string, Promise<void>>();

/**
 * Resolves when bwrap can create the namespaces the sandbox uses (once per binary and process);
 * rejects with `sandbox.unavailable` naming the package otherwise.
 */
export function probeBwrap(bwrap: string | undefined, layout: HostLayout): Promise<void> {
  if (!bwrap) return Promise.reject(new SandboxUnavailableError(`the agent sandbox needs bubblewrap (bwrap), which is not installed: ${INSTALL_HINT}`, { package: 'bubblewrap' }));
  let probe = probes.get(bwrap);
  if (!probe) {
    const args = ['--die-with-parent', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts'];
    for (const dir of layout.systemDirs) args.push('--ro-bind', dir, dir);
    for (const [link, target] of Object.entries(layout.symlinks)) args.push('--symlink', target, link);
    args.push('--dev', '/dev', '--proc', '/proc', '--', 'true');
    probe = new Promise<void>((resolve, reject) => {
      execFile(bwrap, args, { timeout: 10_000, env: {} }, (err, _stdout, stderr) => {
        if (!err) return resolve();
        probes.delete(bwrap);
        reject(
          new SandboxUnavailableError(`bubblewrap (${bwrap}) cannot create the sandbox here: ${String(stderr).trim() || err.message}; ${INSTALL_HINT} and allow unprivileged user namespaces`, {
            package: 'bubblewrap',
            bwrap,
            stderr: String(stderr).slice(0, 2000),
          }),
        );
      });
    });
    probes.set(bwrap, probe);
  }
  return probe;
}
