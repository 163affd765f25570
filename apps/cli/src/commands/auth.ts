import { ApiClient, login } from '../api-client';
import { CliError, EXIT } from '../cli-error';
import type { Credentials } from '../credentials';
import { table, type Output } from '../output';

interface KeyInfo {
  id: string;
  name: string;
  role: string;
  createdBy: string | null;
  createdAt: string;
  revokedAt: string | null;
}

const ROLES = ['admin', 'operator', 'viewer'];

/** `godel auth login`: API key → tokens saved in the credentials file (the key itself is not kept). */
export async function authLogin(o: { url: string; key?: string; file: string }, out: Output): Promise<void> {
  if (!o.key) throw new CliError('auth.no_key', 'no API key: pass --key <API key> or set GODEL_API_KEY (the server logs a bootstrap admin key at start when GODEL_ADMIN_KEY is unset)', EXIT.usage);
  const c = await login(o.url, o.key, o.file);
  out.print(`Logged in to ${c.url} as ${c.key.name} (role ${c.key.role}, key ${c.key.keyId}). Tokens saved to ${o.file}.`);
  out.emit({ ok: true, url: c.url, key: c.key, credentialsFile: o.file, expiresAt: c.expiresAt });
}

/** `godel auth whoami`: who the saved login is, as the server sees it. */
export async function authWhoami(file: string, out: Output): Promise<void> {
  const api = await ApiClient.load(file);
  const me = await api.request<Credentials['key']>('GET', '/api/v1/auth/whoami');
  out.print(`${me.name} (role ${me.role}, key ${me.keyId}) on ${api.url}`);
  out.emit({ ok: true, url: api.url, ...me });
}

export async function keysList(file: string, all: boolean, out: Output): Promise<void> {
  const api = await ApiClient.load(file);
  const { items } = await api.request<{ items: KeyInfo[] }>('GET', `/api/v1/auth/keys${all ? '?all=true' : ''}`);
  out.print(items.length === 0 ? 'No API keys (the bootstrap admin key comes from GODEL_ADMIN_KEY).' : table(['id', 'name', 'role', 'created', 'revoked'], items.map((k) => [k.id, k.name, k.role, k.createdAt, k.revokedAt ?? '-'])));
  out.emit({ ok: true, items });
}

export async function keysCreate(file: string, o: { name: string; role: string }, out: Output): Promise<void> {
  if (!ROLES.includes(o.role)) throw new CliError('auth.bad_role', `--role must be one of ${ROLES.join(', ')}, got "${o.role}"`, EXIT.usage);
  const api = await ApiClient.load(file);
  const k = await api.request<KeyInfo & { key: string }>('POST', '/api/v1/auth/keys', { name: o.name, role: o.role });
  out.print(`Created key ${k.name} (role ${k.role}, id ${k.id}). The key is shown only now; store it safely:\n${k.key}`);
  out.emit({ ok: true, ...k });
}

export async function keysRevoke(file: string, id: string, out: Output): Promise<void> {
  const api = await ApiClient.load(file);
  const k = await api.request<KeyInfo>('DELETE', `/api/v1/auth/keys/${encodeURIComponent(id)}`);
  out.print(`Revoked key ${k.name} (id ${k.id}); its tokens stop working on every instance within a second.`);
  out.emit({ ok: true, ...k });
}
