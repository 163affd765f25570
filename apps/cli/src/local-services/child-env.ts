import { inheritedEnv } from '@godel/config';

/** What a local Redis or PostgreSQL server gets of this process's environment: the lookup path, locale and time zone. */
const SERVER_KEYS = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ'];

/**
 * The explicit environment of a server process this CLI starts: never the whole environment of
 * this process (which may hold provider keys, GODEL_ADMIN_KEY, DATABASE_URL passwords).
 */
export function serverEnv(from: Record<string, string | undefined> = inheritedEnv()): Record<string, string> {
  return Object.fromEntries(SERVER_KEYS.filter((k) => from[k] !== undefined).map((k) => [k, from[k]!]));
}

/** The environment of the system tools run here (`ps`, `id`, `groupadd`, `useradd`): the system path, C locale. */
export const TOOL_ENV: Readonly<Record<string, string>> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' };
