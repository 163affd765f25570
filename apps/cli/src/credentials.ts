import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What `godel auth login` keeps: the server, the tokens and who they belong to. Never the API key. */
export interface Credentials {
  url: string;
  accessToken: string;
  /** ms since epoch */
  expiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  key: { keyId: string; name: string; role: string };
}

export async function readCredentials(file: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const v = JSON.parse(text) as Partial<Credentials>;
  if (typeof v.url !== 'string' || typeof v.accessToken !== 'string' || typeof v.refreshToken !== 'string' || typeof v.key !== 'object') return undefined;
  return v as Credentials;
}

/** Writes atomically (temp file + rename) with mode 0600 in a 0700 folder. */
export async function writeCredentials(file: string, c: Credentials): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(c, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}
