import type { Principal } from '@godel/auth';

/** What auth adds to an Express request: its id, the caller, the route for the audit log. */
export interface AuthedRequest {
  method: string;
  originalUrl: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  query?: Record<string, unknown>;
  route?: { path?: string };
  requestId?: string;
  principal?: Principal;
  /** When the access token of this request expires (ms); long-lived responses end then. */
  tokenExpiresAt?: number;
  /** The client's address as the socket sees it (no proxy headers trusted). */
  ip?: string;
  socket?: { remoteAddress?: string };
  auditRoute?: { route: string | null; target: string | null };
}

export interface AuthedResponse {
  statusCode: number;
  setHeader(name: string, value: string): void;
  once(event: 'close', fn: () => void): void;
}
