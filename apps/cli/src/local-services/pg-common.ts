import { stat } from 'node:fs/promises';
import { LocalServiceError } from './local-service-error';

/** The superuser (and, as root, the system user) of the embedded PostgreSQL. */
export const SUPERUSER = 'postgres';
export const NEXT_STEPS = 'set DATABASE_URL to a running PostgreSQL (e.g. postgres://user:pass@127.0.0.1:5432/godel)';

export function unavailable(message: string, retryable: boolean, details: Record<string, unknown> = {}, cause?: unknown) {
  return new LocalServiceError('services.postgres_unavailable', message, retryable, details, { cause });
}

/** The user PostgreSQL runs as when Godel runs as root. */
export interface RunAs {
  uid: number;
  gid: number;
  groups: number[];
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
