import type { DataSource } from 'typeorm';

/** A repository an admin registered: operators start work on it with these settings only. */
export interface RegisteredRepo {
  /** Real path (symlinks resolved) of the repository on the server. */
  path: string;
  /** The verification the refinery runs on merges (null: the repository's `.godel.yaml`, then the workflow's). */
  verify: string | null;
  /** Autonomic maintenance: the target's verification is checked on every tip change. */
  maintenance: boolean;
  registeredBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The `repositories` table. Paths are stored as given: callers resolve them (see the API's repo access). */
export class RepoRegistry {
  constructor(private readonly ds: DataSource) {}

  /** Registers a repository or replaces its settings. */
  async register(r: { path: string; verify?: string | null; maintenance?: boolean; registeredBy?: string | null }): Promise<RegisteredRepo> {
    const rows = (await this.ds.query(
      `INSERT INTO repositories (path, verify, maintenance, registered_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (path) DO UPDATE SET verify = EXCLUDED.verify, maintenance = EXCLUDED.maintenance, registered_by = EXCLUDED.registered_by, updated_at = now()
       RETURNING path, verify, maintenance, registered_by, created_at, updated_at`,
      [r.path, r.verify ?? null, r.maintenance ?? false, r.registeredBy ?? null],
    )) as Array<Record<string, unknown>>;
    return row(rows[0]);
  }

  async get(path: string): Promise<RegisteredRepo | undefined> {
    const rows = (await this.ds.query(`SELECT path, verify, maintenance, registered_by, created_at, updated_at FROM repositories WHERE path = $1`, [path])) as Array<Record<string, unknown>>;
    return rows[0] ? row(rows[0]) : undefined;
  }

  async list(o: { maintenance?: boolean } = {}): Promise<RegisteredRepo[]> {
    const rows = (await this.ds.query(
      `SELECT path, verify, maintenance, registered_by, created_at, updated_at FROM repositories WHERE ($1::boolean IS NULL OR maintenance = $1) ORDER BY path`,
      [o.maintenance ?? null],
    )) as Array<Record<string, unknown>>;
    return rows.map(row);
  }

  /** Unregisters; true when it was registered. */
  async remove(path: string): Promise<boolean> {
    const rows = (await this.ds.query(`DELETE FROM repositories WHERE path = $1 RETURNING path`, [path])) as unknown[];
    return (Array.isArray(rows[0]) ? (rows[0] as unknown[]) : rows).length > 0;
  }
}

function row(r: Record<string, unknown>): RegisteredRepo {
  return {
    path: r.path as string,
    verify: (r.verify as string | null) ?? null,
    maintenance: r.maintenance === true,
    registeredBy: (r.registered_by as string | null) ?? null,
    createdAt: new Date(r.created_at as string).toISOString(),
    updatedAt: new Date(r.updated_at as string).toISOString(),
  };
}
