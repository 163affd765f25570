import type { DataSource } from 'typeorm';

/** One mutation as the audit log keeps it. */
export interface AuditEntry {
  requestId: string;
  keyId: string | null;
  keyName: string | null;
  role: string | null;
  method: string;
  /** The route pattern (`/api/v1/agents/:team/:name/:action`), null when no route matched. */
  route: string | null;
  path: string;
  /** The route's parameters joined with `/` (e.g. `web/a1/stop`), null without any. */
  target: string | null;
  status: number;
}

export interface StoredAuditEntry extends AuditEntry {
  id: number;
  at: string;
}

/** The `audit_log` table: every POST/PUT/PATCH/DELETE, written once its status is known. */
export class AuditLog {
  constructor(private readonly ds: DataSource) {}

  async write(e: AuditEntry): Promise<void> {
    await this.ds.query(
      `INSERT INTO audit_log (request_id, key_id, key_name, role, method, route, path, target, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [e.requestId, e.keyId, e.keyName, e.role, e.method, e.route, e.path.slice(0, 2048), e.target?.slice(0, 1024) ?? null, e.status],
    );
  }

  async list(o: { limit?: number; requestId?: string } = {}): Promise<StoredAuditEntry[]> {
    const rows = (await this.ds.query(
      `SELECT id, at, request_id, key_id, key_name, role, method, route, path, target, status FROM audit_log
        WHERE ($1::text IS NULL OR request_id = $1) ORDER BY id DESC LIMIT $2`,
      [o.requestId ?? null, o.limit ?? 100],
    )) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at as string).toISOString(),
      requestId: r.request_id as string,
      keyId: r.key_id as string | null,
      keyName: r.key_name as string | null,
      role: r.role as string | null,
      method: r.method as string,
      route: r.route as string | null,
      path: r.path as string,
      target: r.target as string | null,
      status: Number(r.status),
    }));
  }
}
