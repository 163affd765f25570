import { SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Role } from '@godel/auth';

export const ROLE_METADATA = 'godel:auth:role';
export const PUBLIC_METADATA = 'godel:auth:public';

/** The weakest role that may call the route (viewer < operator < admin). Every non-public route needs one. */
export const Roles = (role: Role): MethodDecorator & ClassDecorator => SetMetadata(ROLE_METADATA, role);

/** A route anyone may call without a token (only /health, /ready, /metrics and the token endpoints). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_METADATA, true);

export const QUERY_TOKEN_METADATA = 'godel:auth:query-token';

/**
 * This route also takes the access token as `?access_token=` (when no Authorization header is sent).
 * Only for the SSE stream: browsers' EventSource cannot send headers. Tokens in URLs can end up in
 * proxy logs and history, so no other route may carry it (the route-table test pins that).
 */
export const QueryToken = (): MethodDecorator => SetMetadata(QUERY_TOKEN_METADATA, true);

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function acceptsQueryToken(reflector: Reflector, handler: Function): boolean {
  return reflector.get<boolean | undefined>(QUERY_TOKEN_METADATA, handler) === true;
}

/** What a route declares: public, a minimum role, or nothing (which the guard refuses: fail closed). */
export type RouteAccess = { public: true } | { public: false; role: Role } | undefined;

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function routeAccess(reflector: Reflector, handler: Function, cls: Function): RouteAccess {
  if (reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, [handler, cls])) return { public: true };
  const role = reflector.getAllAndOverride<Role | undefined>(ROLE_METADATA, [handler, cls]);
  return role ? { public: false, role } : undefined;
}
