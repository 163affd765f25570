import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { WorkspaceError } from '../errors/workspace-error';

/** Where a team's repository lives: a folder on this server (single-host mode) or a git URL. */
export type RepoSource = { kind: 'path'; path: string } | { kind: 'url'; url: string; key: string };

const SCHEMES = new Set(['https:', 'ssh:', 'git:', 'file:']);

/** True for `scheme://…` (any scheme: an unsupported one is refused by parseRepoSource, not taken as a path). */
export function looksLikeUrl(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || /^[a-z][a-z0-9+.-]*::/i.test(spec);
}

/**
 * Classifies `repo`: an absolute path, or a URL with scheme https, ssh, git or file. URLs carry no
 * password or token (credentials are the server's, GODEL_GIT_CREDENTIALS; a URL is stored in
 * events and state), no quotes, backslashes, spaces or control characters, and no `ext::`-style
 * transport; scp-like `host:path` is not accepted (write `ssh://host/path`).
 * `workspace.bad_url` otherwise.
 */
export function parseRepoSource(spec: string): RepoSource {
  if (!looksLikeUrl(spec)) {
    if (!isAbsolute(spec)) throw badUrl(spec, 'is neither an absolute path nor a URL (https://, ssh://, git://, file://)');
    return { kind: 'path', path: spec };
  }
  if (/[\s"'\\\x00-\x1f\x7f]/.test(spec)) throw badUrl(spec, 'contains spaces, quotes, backslashes or control characters');
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw badUrl(spec, 'is not a valid URL');
  }
  if (!SCHEMES.has(u.protocol)) throw badUrl(spec, `has an unsupported scheme ${u.protocol.replace(/:$/, '')} (https, ssh, git, file)`);
  if (u.password) throw badUrl(spec, 'carries a password or token; credentials are configured on the server (GODEL_GIT_CREDENTIALS), never in the URL');
  if (u.protocol === 'https:' && u.username) throw badUrl(spec, 'carries a user name; credentials are configured on the server (GODEL_GIT_CREDENTIALS)');
  if (u.search || u.hash) throw badUrl(spec, 'has a query or fragment');
  if (u.protocol === 'file:' ? !u.pathname || u.pathname === '/' : !u.hostname) throw badUrl(spec, 'names no host or path');
  return { kind: 'url', url: spec, key: mirrorKey(spec) };
}

/** Folder name of a URL's mirror: readable tail + hash of the whole URL (two URLs never share one). */
export function mirrorKey(url: string): string {
  const tail = (url.replace(/\/+$/, '').split('/').pop() ?? 'repo').replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'repo';
  return `${tail}-${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

/** `text` with each secret (and a URL's userinfo) replaced by `***`. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]*):[^/@\s]*@/gi, '$1$2:***@');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

function badUrl(spec: string, problem: string): WorkspaceError {
  const shown = redactSecrets(spec, []);
  return new WorkspaceError('workspace.bad_url', `repository ${JSON.stringify(shown)} ${problem}`, { repo: shown, problem });
}
