import { lstat, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** Same bound as Linux's MAXSYMLINKS. */
const MAX_SYMLINKS = 40;

export class SymlinkLoopError extends Error {
  constructor(readonly path: string) {
    super(`too many levels of symbolic links resolving ${path}`);
    this.name = 'SymlinkLoopError';
  }
}

/**
 * Where the OS would land for `path` (absolute), resolving symlinks component by component like
 * the kernel does, so `link/..` is the parent of the link's *target* (a lexical normalise would say
 * the parent of the link). Unlike `realpath`, the path need not exist: once a component is missing,
 * the rest is applied lexically (nothing below a missing entry can be a symlink yet). A dangling
 * symlink is followed to where its target would be created.
 */
export async function resolvePhysicalPath(path: string): Promise<string> {
  if (!isAbsolute(path)) throw new Error(`resolvePhysicalPath needs an absolute path, got ${path}`);
  const pending = path.split('/').reverse(); // a stack: last element is the next component
  let current = '/';
  let missing = false;
  let links = 0;
  while (pending.length > 0) {
    const part = pending.pop() as string;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    if (missing) {
      current = next;
      continue;
    }
    let isLink: boolean;
    try {
      isLink = (await lstat(next)).isSymbolicLink();
    } catch {
      missing = true; // ENOENT, ENOTDIR (a file used as a directory), EACCES: stop resolving
      current = next;
      continue;
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new SymlinkLoopError(path);
    const target = await readlink(next);
    pending.push(...target.split('/').reverse());
    if (isAbsolute(target)) current = '/';
  }
  return resolve(current);
}
